"""Features per identity and day, from the prepared events.

All "new" flags are causal by construction: an object, host or country is
new on the first day it appears for the identity (or the peer group), which
later events cannot change.
"""

from __future__ import annotations

import polars as pl

# Daily count features: name -> event flag summed for it.
COUNT_FEATURES = {
    "logons": "is_logon",
    "failed": "is_failed",
    "explicit": "is_explicit",
    "off_hours": "is_off_hours",
    "downloads": "is_download",
    "file_reads": "is_file_read",
    "uploads_ext": "is_upload_ext",
    "cloud_uploads": "is_cloud_upload",
    "leak_uploads": "is_leak_upload",
    "usb": "is_usb",
    "usb_copies": "is_usb_copy",
    "mails": "is_mail",
    "mail_ext": "is_mail_ext",
    "mail_personal": "is_mail_personal",
    "exports": "is_export",
    "admin": "is_admin",
    "priv_grants": "is_priv_grant",
    "log_clears": "is_log_clear",
    "job_visits": "is_job",
    "mailbox_other": "is_mailbox_other",
    "new_hosts": "is_new_host",
    "new_countries": "is_new_country",
    "peer_new_countries": "is_peer_new_country",
    "new_objects": "is_new_object",
    "peer_rare": "is_peer_rare",
}

# Features the Isolation Forest and the z-score baselines look at.
MODEL_FEATURES = (
    "events",
    "logons",
    "failed",
    "off_hours",
    "first_hour",
    "last_hour",
    "hosts",
    "countries",
    "downloads",
    "file_reads",
    "bytes_down",
    "bytes_up",
    "uploads_ext",
    "usb",
    "mail_ext",
    "mail_personal",
    "exports",
    "admin",
    "new_objects",
    "peer_rare",
    "job_visits",
)


def add_first_seen(events: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """Flag events whose host, country or object is new for the identity or peers.

    Only file events count for new and peer-rare objects, because web and
    mail objects (URLs with queries, recipients) are new almost every time.
    """
    peers = people.select("iid", pl.col("peer").cast(pl.Categorical).alias("peer"))
    frame = events.join(peers, on="iid", how="left")
    day = pl.col("day")
    file_event = (
        pl.col("is_download")
        | pl.col("is_file_read")
        | (pl.col("event_category") == "file")
    )
    object_key = pl.when(file_event).then(pl.col("obj_h"))
    return frame.with_columns(
        (pl.col("host").is_not_null() & (day == day.min().over("iid", "host"))).alias(
            "is_new_host"
        ),
        (
            pl.col("country").is_not_null() & (day == day.min().over("iid", "country"))
        ).alias("is_new_country"),
        (
            pl.col("country").is_not_null() & (day == day.min().over("peer", "country"))
        ).alias("is_peer_new_country"),
        (file_event & (day == day.min().over("iid", object_key))).alias(
            "is_new_object"
        ),
        (file_event & (day == day.min().over("peer", object_key))).alias(
            "is_peer_rare"
        ),
    )


def daily_features(events: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """Aggregate flagged events into one row per identity and day.

    Adds `active_index` (0 on an identity's first active day), `age_days`
    (calendar days since that day), `peer` and `post_contract` (the day is
    after the directory's end_date).
    """
    byte_count = pl.col("bytes").fill_null(0).clip(lower_bound=0)
    aggregations = [
        pl.len().alias("events"),
        pl.col("hour").min().alias("first_hour"),
        pl.col("hour").max().alias("last_hour"),
        pl.col("host").n_unique().alias("hosts"),
        pl.col("country").drop_nulls().n_unique().alias("countries"),
        byte_count.filter(pl.col("is_download") | pl.col("is_file_read"))
        .sum()
        .alias("bytes_down"),
        byte_count.filter(pl.col("is_upload_ext") | pl.col("is_usb_copy"))
        .sum()
        .alias("bytes_up"),
        (~pl.col("weekday")).any().alias("weekend"),
    ]
    aggregations += [
        pl.col(flag).sum().cast(pl.Int32).alias(name)
        for name, flag in COUNT_FEATURES.items()
    ]
    # One integer key groups faster than the (iid, day) pair.
    key = pl.col("iid").cast(pl.Int64) * (1 << 32) + pl.col("day").cast(pl.Int32).cast(
        pl.Int64
    )
    daily = (
        events.group_by(key.alias("_key"))
        .agg(pl.col("iid").first(), pl.col("day").first(), *aggregations)
        .drop("_key")
        .sort("iid", "day")
    )
    daily = daily.join(
        people.select("iid", "identity", "peer", "end_date"), on="iid", how="left"
    )
    first_day = pl.col("day").min().over("iid")
    return daily.with_columns(
        pl.int_range(pl.len()).over("iid").cast(pl.Int32).alias("active_index"),
        (pl.col("day") - first_day).dt.total_days().cast(pl.Int32).alias("age_days"),
        (pl.col("end_date").is_not_null() & (pl.col("day") > pl.col("end_date"))).alias(
            "post_contract"
        ),
    )
