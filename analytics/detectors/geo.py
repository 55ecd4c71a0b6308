"""Detectors on where logons come from: travel, new countries, shared accounts."""

from __future__ import annotations

import polars as pl

from analytics.detectors.common import Context, findings_frame, fmt_num, sentence
from analytics.reference import haversine_km, place_coordinates


def located_logons(ctx: Context) -> pl.DataFrame:
    """Return successful logons with coordinates and the step from the previous.

    Columns added: place, latitude, longitude, km (distance from the
    identity's previous located logon), hours (time since it), speed (km/h),
    prev_place and prev_event_id.
    """
    logons = ctx.events.filter(
        pl.col("is_logon")
        & (pl.col("country").is_not_null() | pl.col("city").is_not_null())
    ).select("event_id", "iid", "day", "timestamp", "country", "city")
    logons = place_coordinates(logons).filter(pl.col("latitude").is_not_null())
    logons = logons.sort("iid", "timestamp").with_columns(
        pl.coalesce(
            pl.concat_str(
                [pl.col("city").cast(pl.String), pl.col("country").cast(pl.String)],
                separator=", ",
            ),
            pl.col("country").cast(pl.String),
            pl.col("city").cast(pl.String),
        ).alias("place")
    )
    previous = [
        pl.col(name).shift(1).over("iid").alias(f"prev_{name}")
        for name in ("latitude", "longitude", "timestamp", "place", "event_id")
    ]
    logons = logons.with_columns(previous)
    km = haversine_km(
        logons["prev_latitude"].fill_null(logons["latitude"]).to_numpy(),
        logons["prev_longitude"].fill_null(logons["longitude"]).to_numpy(),
        logons["latitude"].to_numpy(),
        logons["longitude"].to_numpy(),
    )
    hours = (pl.col("timestamp") - pl.col("prev_timestamp")).dt.total_seconds() / 3600
    return logons.with_columns(pl.Series("km", km)).with_columns(
        hours.alias("hours"),
        (pl.col("km") / pl.max_horizontal(hours, pl.lit(1 / 60))).alias("speed"),
    )


def travel_findings(ctx: Context) -> pl.DataFrame:
    """Report impossible travel and account sharing from the same logon steps.

    Impossible travel: two consecutive logons farther apart than
    `travel_min_km` at more than `travel_speed_kmh`. Account sharing: at
    least two such jumps within `sharing_window_minutes` in one day, which
    means sessions alternate between distant places rather than one trip.
    """
    config = ctx.config
    steps = located_logons(ctx)
    far = pl.col("km") >= config.travel_min_km
    steps = steps.with_columns(
        (far & (pl.col("speed") > config.travel_speed_kmh)).alias("impossible"),
        (far & (pl.col("hours") * 60 <= config.sharing_window_minutes)).alias("quick"),
    )
    jumps = steps.filter(pl.col("impossible"))
    per_day = jumps.group_by("iid", "day").agg(
        pl.len().alias("jumps"),
        pl.col("quick").sum().alias("quick_jumps"),
        pl.col("km").max().alias("km"),
        pl.col("hours").min().alias("hours"),
        pl.col("prev_place").first().alias("from_place"),
        pl.col("place").first().alias("to_place"),
        pl.concat_list("prev_event_id", "event_id")
        .explode()
        .unique()
        .alias("event_ids"),
    )
    per_day = per_day.join(
        ctx.daily.select("iid", "day", "peer_new_countries", "new_countries"),
        on=["iid", "day"],
        how="left",
    )
    new_place = pl.col("new_countries").fill_null(0) > 0
    peer_new = pl.col("peer_new_countries").fill_null(0) > 0
    travel_score = 50.0 + pl.when(peer_new).then(25.0).when(new_place).then(
        10.0
    ).otherwise(0.0)
    travel_reason = sentence(
        "logged on from {} and then {} {} km away within {} minutes ({} km/h)",
        pl.col("from_place"),
        pl.col("to_place"),
        fmt_num(pl.col("km")),
        fmt_num(pl.col("hours") * 60),
        fmt_num(pl.col("km") / pl.max_horizontal(pl.col("hours"), pl.lit(1 / 60))),
    )
    travel = findings_frame(
        per_day,
        "impossible_travel",
        "impossible_travel",
        travel_score,
        travel_reason,
        None,
        config,
    ).with_columns(per_day["event_ids"])
    shared = per_day.filter(pl.col("quick_jumps") >= 2)
    sharing_reason = sentence(
        "sessions alternated {} times in one day between {} and {}, {} km apart",
        pl.col("quick_jumps"),
        pl.col("from_place"),
        pl.col("to_place"),
        fmt_num(pl.col("km")),
    )
    sharing_score = 45.0 + 8.0 * pl.col("quick_jumps").clip(upper_bound=6)
    sharing = findings_frame(
        shared,
        "account_sharing",
        "account_sharing",
        sharing_score,
        sharing_reason,
        None,
        config,
    ).with_columns(shared["event_ids"])
    return pl.concat([travel, sharing])


def new_country(ctx: Context) -> pl.DataFrame:
    """Report a first logon from a country, strongest if new to the peer group."""
    config = ctx.config
    rows = ctx.daily.filter(
        (pl.col("new_countries") > 0)
        & (pl.col("active_index") >= config.warmup_days)
        & (ctx.case_age >= config.warmup_days)
    )
    peer_new = pl.col("peer_new_countries") > 0
    score = pl.when(peer_new).then(30.0).otherwise(5.0)
    reason = (
        pl.when(peer_new)
        .then(
            sentence(
                "first logon from a new country after {} active days; "
                "nobody in {} had logged on from there",
                pl.col("active_index"),
                pl.col("peer"),
            )
        )
        .otherwise(
            sentence(
                "first logon from a new country after {} active days; "
                "others in {} had logged on from there before",
                pl.col("active_index"),
                pl.col("peer"),
            )
        )
    )
    return findings_frame(
        rows, "new_country", "new_country", score, reason, "is_new_country", config
    )
