"""Statistical detectors: volumes, hours, job search and low-and-slow rises."""

from __future__ import annotations

import polars as pl

from analytics.detectors.common import (
    Context,
    findings_frame,
    fmt_bytes,
    fmt_num,
    ratio_text,
    sentence,
    z_points,
)

# feature name, daily column, what the count is, evidence flag
VOLUME_SPECS: tuple[tuple[str, str, str, str | None], ...] = (
    ("bulk_download", "downloads", "files downloaded or exported", "is_download"),
    ("bulk_copy", "file_reads", "files read on file shares", "is_file_read"),
    ("usb", "usb_copies", "files copied to removable drives", "is_usb_copy"),
    (
        "cloud_upload",
        "uploads_ext",
        "uploads to sites outside the organisation",
        "is_upload_ext",
    ),
    ("external_mail", "mail_ext", "mails to outside addresses", "is_mail_ext"),
    (
        "personal_mail",
        "mail_personal",
        "mails to personal mail addresses",
        "is_mail_personal",
    ),
    ("mass_mail", "mails", "mails sent", "is_mail"),
    ("volume", "bytes_up", "uploaded or copied out", "is_upload_ext"),
)
BYTES_MIN = 50_000_000
# Calendar days of history before the recent window that low-and-slow needs.
LOW_SLOW_MIN_HISTORY_DAYS = 14


def weekly(ctx: Context) -> pl.Expr:
    """Return a filter that keeps one day in seven, counted from the case start."""
    return ctx.case_age % 7 == 6


def volume(ctx: Context) -> pl.DataFrame:
    """Report counts far above the identity's usual, damped by the peer group."""
    config = ctx.config
    frames = []
    for feature, column, noun, evidence in VOLUME_SPECS:
        value = pl.col(column).cast(pl.Float64)
        median = pl.col(f"{column}_med")
        adjusted = pl.col(f"{column}_adj")
        floor = BYTES_MIN if column.startswith("bytes") else config.min_volume
        own = median.is_not_null() & (pl.col("active_index") >= config.warmup_days)
        ratio_ok = value >= config.ratio_threshold * pl.max_horizontal(
            median.fill_null(pl.col(f"{column}_peer_med")), pl.lit(1.0)
        )
        # The baseline maximum leaves out yesterday: a high day right after
        # another one is the same run, not a new habit.
        above_max = value >= config.max_multiple * pl.col(f"{column}_max").fill_null(0)
        rows = ctx.daily.filter(
            (adjusted >= config.z_threshold) & (value >= floor) & ratio_ok & above_max
        )
        shown = fmt_bytes(value) if column.startswith("bytes") else fmt_num(value)
        usual = median.fill_null(0.0)
        usual_text = fmt_bytes(usual) if column.startswith("bytes") else fmt_num(usual)
        others = pl.max_horizontal(pl.col(f"{column}_peer_high") - 1, pl.lit(0)).cast(
            pl.Int64
        )
        unit = 100_000.0 if column.startswith("bytes") else 1.0
        peers = (
            pl.when(pl.col("peer_size") > 1)
            .then(
                sentence(
                    "{} of {} others in {} exceeded {}x their usual that day",
                    others,
                    pl.col("peer_size") - 1,
                    pl.col("peer"),
                    config.ratio_threshold,
                )
            )
            .otherwise(sentence("nobody else in {} to compare with", pl.col("peer")))
        )
        reason = (
            pl.when(own)
            .then(
                sentence(
                    "{} {}, {} the usual {} a day; {}",
                    shown,
                    noun,
                    ratio_text(value, usual, unit),
                    usual_text,
                    peers,
                )
            )
            .otherwise(
                sentence(
                    "{} {} in the first days of activity, {} the median of {} in {} "
                    "that day",
                    shown,
                    noun,
                    ratio_text(value, pl.col(f"{column}_peer_med"), unit),
                    fmt_num(pl.col(f"{column}_peer_med")),
                    pl.col("peer"),
                )
            )
        )
        # Small absolute counts score less: full points from 50 items on.
        size = (
            pl.lit(1.0)
            if column.startswith("bytes")
            else (value.clip(lower_bound=1).log10() / 1.7).clip(0.3, 1.0)
        )
        frames.append(
            findings_frame(
                rows,
                "volume",
                feature,
                z_points(adjusted, config) * size,
                reason,
                evidence,
                config,
            )
        )
    return pl.concat(frames)


def leak_upload(ctx: Context) -> pl.DataFrame:
    """Report uploads to paste and leak sites, which are never routine."""
    rows = ctx.daily.filter(pl.col("leak_uploads") > 0)
    reason = sentence(
        "uploaded to a paste or leak site {} time(s)", pl.col("leak_uploads")
    )
    score = 60.0 + 5.0 * pl.col("leak_uploads").clip(upper_bound=6)
    return findings_frame(
        rows, "volume", "leak_upload", score, reason, "is_leak_upload", ctx.config
    )


def after_hours(ctx: Context) -> pl.DataFrame:
    """Report activity well outside the identity's own working hours.

    Needs at least `off_hours_min_events` events outside the fixed window
    and a last (or first) hour at least three robust deviations from the
    identity's usual, or off-hours volume far above it.
    """
    config = ctx.config
    late = pl.col("last_hour_z").fill_null(0.0)
    early = -pl.col("first_hour_z").fill_null(0.0)
    shift = pl.max_horizontal(late, early)
    off = pl.col("off_hours_adj").fill_null(0.0)
    warm = pl.col("active_index") >= config.warmup_days
    rows = ctx.daily.filter(
        warm
        & (pl.col("off_hours") >= config.off_hours_min_events)
        & (shift >= 3.0)
        & (off >= config.z_threshold / 2)
    )
    reason = sentence(
        "{} events outside {}:00-{}:00 on weekdays, active {}:00-{}:00; "
        "usually {}:00-{}:00",
        pl.col("off_hours"),
        config.work_start_hour,
        config.work_end_hour,
        pl.col("first_hour"),
        pl.col("last_hour"),
        fmt_num(pl.col("first_hour_med")),
        fmt_num(pl.col("last_hour_med")),
    )
    score = (20.0 + 5.0 * shift + 2.0 * off).clip(upper_bound=80.0)
    return findings_frame(
        rows, "after_hours", "after_hours", score, reason, "is_off_hours", config
    )


def job_search(ctx: Context) -> pl.DataFrame:
    """Report sustained job-board browsing, stronger when volumes then rise.

    Browsing alone is reported once a week; browsing followed by a rise of
    file volumes is reported on every day of the rise.
    """
    config = ctx.config
    window = f"{config.job_window_days}d"
    daily = ctx.daily.with_columns(
        (pl.col("job_visits") > 0)
        .cast(pl.Int32)
        .rolling_sum_by("day", window_size=window)
        .over("iid")
        .alias("_job_days")
    )
    rise_columns = ("downloads", "file_reads", "usb_copies", "uploads_ext")
    rise = pl.max_horizontal([pl.col(f"{c}_adj").fill_null(0.0) for c in rise_columns])
    daily = daily.with_columns(rise.alias("_rise"))
    searching = pl.col("_job_days") >= 5
    rising = (pl.col("_job_days") >= 3) & (pl.col("_rise") >= config.z_threshold)
    rows = daily.filter((searching & weekly(ctx)) | rising)
    reason = (
        pl.when(pl.col("_rise") >= config.z_threshold)
        .then(
            sentence(
                "visited job sites on {} of the last {} days, and file volumes rose "
                "to {} robust deviations above the usual",
                pl.col("_job_days"),
                config.job_window_days,
                fmt_num(pl.col("_rise"), 1),
            )
        )
        .otherwise(
            sentence(
                "visited job sites on {} of the last {} days ({} visits today)",
                pl.col("_job_days"),
                config.job_window_days,
                pl.col("job_visits"),
            )
        )
    )
    score = 2.0 * pl.col("_job_days").clip(upper_bound=10) + pl.when(
        pl.col("_rise") >= config.z_threshold
    ).then(20.0 + 4.0 * pl.col("_rise").clip(upper_bound=10)).otherwise(0.0)
    return findings_frame(
        rows, "job_search", "job_search", score, reason, "is_job", config
    )


def low_and_slow(ctx: Context) -> pl.DataFrame:
    """Report a sustained rise of file volumes that comes with new outside uploads.

    Volume is files downloaded, files read and uploads outside the
    organisation. The last `low_slow_window_days` days' sum R is compared
    with the sum E expected from the daily mean of the
    `low_slow_history_days` before them, times the peer group's median ratio
    that day (so a team that grows busier together stays quiet). A finding
    needs R / E >= `low_slow_ratio` and a z-score of R - E of at least
    `low_slow_min_z` (Poisson variance, widened for a short history). It
    also needs `low_slow_min_uploads` outside uploads in the window, and
    `low_slow_upload_ratio` times what the earlier days make expected,
    because a rise of work alone is not exfiltration. The finding repeats
    on every active day of the rise, so the risk builds up while it lasts.
    """
    config = ctx.config
    recent_days = config.low_slow_window_days
    total = recent_days + config.low_slow_history_days
    value = pl.col("downloads") + pl.col("file_reads") + pl.col("uploads_ext")
    daily = ctx.daily.with_columns(value.alias("_v")).with_columns(
        _rolling("_v", recent_days).alias("_r"),
        _rolling("_v", total).alias("_t"),
        _rolling("uploads_ext", recent_days).alias("_up_r"),
        _rolling("uploads_ext", total).alias("_up_t"),
    )
    before_days = (pl.col("age_days") - recent_days + 1).clip(1, total - recent_days)
    before_mean = (pl.col("_t") - pl.col("_r")) / before_days
    uploads_expected = (pl.col("_up_t") - pl.col("_up_r")) / before_days * recent_days
    ratio = (pl.col("_r") / recent_days) / pl.max_horizontal(before_mean, pl.lit(0.1))
    established = pl.col("age_days") >= recent_days + LOW_SLOW_MIN_HISTORY_DAYS
    daily = daily.with_columns(
        ratio.alias("_ratio"),
        before_mean.alias("_before"),
        uploads_expected.alias("_up_expected"),
    )
    daily = daily.with_columns(
        pl.col("_ratio")
        .filter(established)
        .median()
        .over("peer", "day")
        .fill_null(1.0)
        .clip(lower_bound=1.0)
        .alias("_peer_ratio")
    )
    expected = pl.col("_before") * recent_days * pl.col("_peer_ratio")
    # Poisson variance of the recent sum plus that of the estimate from a
    # short history: E^2 / (events before).
    before_sum = pl.col("_t") - pl.col("_r")
    variance = expected + expected.pow(2) / (before_sum + 1) + 1
    daily = daily.with_columns(
        ((pl.col("_r") - expected) / variance.sqrt()).alias("_poisson_z"),
        (pl.col("_r") / pl.max_horizontal(expected, pl.lit(1.0))).alias("_adj_ratio"),
    )
    new_uploads = (pl.col("_up_r") >= config.low_slow_min_uploads) & (
        pl.col("_up_r") >= config.low_slow_upload_ratio * (pl.col("_up_expected") + 1)
    )
    rows = daily.filter(
        established
        & (pl.col("_adj_ratio") >= config.low_slow_ratio)
        & (pl.col("_poisson_z") >= config.low_slow_min_z)
        & (pl.col("_r") >= 2 * config.min_volume)
        & new_uploads
    )
    reason = sentence(
        "files downloaded, read or uploaded over the last {} days average {} a "
        "day, {}x the {} a day before (peer group's median ratio {}), with {} "
        "uploads outside the organisation where {} were usual",
        recent_days,
        fmt_num(pl.col("_r") / recent_days, 1),
        fmt_num(pl.col("_ratio"), 1),
        fmt_num(pl.col("_before"), 1),
        fmt_num(pl.col("_peer_ratio"), 2),
        pl.col("_up_r"),
        fmt_num(pl.col("_up_expected")),
    )
    score = (
        config.low_slow_score + 3.0 * (pl.col("_poisson_z") - config.low_slow_min_z)
    ).clip(upper_bound=2 * config.low_slow_score)
    return findings_frame(
        rows, "low_and_slow", "volume", score, reason, "is_upload_ext", config
    )


def _rolling(column: str, days: int) -> pl.Expr:
    """Return the sum of `column` over the last `days` calendar days, per identity."""
    return pl.col(column).rolling_sum_by("day", f"{days}d").over("iid")


def large_mail(ctx: Context) -> pl.DataFrame:
    """Report one large mail to an outside address, far above any earlier one.

    A single large mail to a partner is often a mistake rather than theft,
    so on its own it scores in the medium band. To a personal address it
    scores high. Other findings of the same person add to it as usual.
    """
    config = ctx.config
    mails = (
        ctx.events.lazy()
        .filter(pl.col("is_mail_ext") & pl.col("bytes").is_not_null())
        .select(
            "iid", "day", "timestamp", "event_id", "bytes", "site", "is_mail_personal"
        )
        .sort("iid", "timestamp", "event_id")
        .with_columns(pl.col("bytes").cum_max().shift(1).over("iid").alias("before"))
        .filter(
            (pl.col("bytes") >= config.large_mail_bytes)
            & (
                pl.col("before").is_null()
                | (pl.col("bytes") >= config.large_mail_multiple * pl.col("before"))
            )
        )
        .group_by("iid", "day")
        .agg(
            pl.col("bytes").max().alias("largest"),
            pl.col("before").min().alias("before"),
            pl.len().alias("count"),
            pl.col("site").sort_by("bytes", descending=True).first().cast(pl.String),
            pl.col("is_mail_personal").any().alias("personal"),
            pl.col("event_id").sort().head(config.evidence_cap).alias("event_ids"),
        )
        .collect()
    )
    earlier = (
        pl.when(pl.col("before").is_null())
        .then(pl.lit("the first mail this person sent outside"))
        .otherwise(
            sentence(
                "the largest outside mail before was {}", fmt_bytes(pl.col("before"))
            )
        )
    )
    kind = (
        pl.when(pl.col("personal"))
        .then(pl.lit("a personal"))
        .otherwise(pl.lit("an outside"))
    )
    largest = fmt_bytes(pl.col("largest").cast(pl.Float64))
    mails_text = (
        pl.when(pl.col("count") == 1)
        .then(sentence("one mail of {}", largest))
        .otherwise(
            sentence("{} large mails, the largest {},", pl.col("count"), largest)
        )
    )
    reason = sentence(
        "{} to {}, {} address; {}", mails_text, pl.col("site"), kind, earlier
    )
    # 20 points at the size floor, 5 more per doubling, at most 30: medium.
    size = (
        (pl.col("largest").cast(pl.Float64) / config.large_mail_bytes)
        .log(2)
        .clip(0.0, 2.0)
    )
    score = pl.when(pl.col("personal")).then(45.0).otherwise(20.0) + 5.0 * size
    return findings_frame(
        mails, "large_mail", "large_mail", score, reason, None, config
    ).with_columns(mails["event_ids"])
