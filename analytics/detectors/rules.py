"""Rule detectors for what is known bad whatever the baseline."""

from __future__ import annotations

import polars as pl

from analytics.detectors.common import Context, findings_frame, fmt_num, sentence


def log_clear(ctx: Context) -> pl.DataFrame:
    """Report every day on which an identity cleared an audit log."""
    rows = ctx.daily.filter(pl.col("log_clears") > 0)
    reason = sentence(
        "cleared an audit log {} time(s) on {}", pl.col("log_clears"), pl.col("day")
    )
    score = 70.0 + 5.0 * pl.col("log_clears").clip(upper_bound=6)
    return findings_frame(
        rows, "log_clear", "log_clear", score, reason, "is_log_clear", ctx.config
    )


def privilege_grant(ctx: Context) -> pl.DataFrame:
    """Report privilege grants and group changes, most of all first-time ones.

    An administrator who grants rights every week scores low; an identity
    that has never granted a right before scores high, and more so off hours.
    """
    daily = ctx.daily.with_columns(
        (pl.col("priv_grants") > 0)
        .cast(pl.Int32)
        .cum_sum()
        .shift(1, fill_value=0)
        .over("iid")
        .alias("_grant_days_before")
    )
    rows = daily.filter(pl.col("priv_grants") > 0)
    first_time = pl.col("_grant_days_before") == 0
    established = pl.col("active_index") >= ctx.config.warmup_days
    score = pl.when(first_time & established).then(60.0).when(first_time).then(
        25.0
    ).otherwise(8.0) + pl.when(pl.col("off_hours") > 0).then(10.0).otherwise(0.0)
    reason = (
        pl.when(first_time)
        .then(
            sentence(
                "granted privileges or changed group membership {} time(s), "
                "the first time in {} active days",
                pl.col("priv_grants"),
                pl.col("active_index"),
            )
        )
        .otherwise(
            sentence(
                "granted privileges or changed group membership {} time(s); "
                "did so on {} earlier days",
                pl.col("priv_grants"),
                pl.col("_grant_days_before"),
            )
        )
    )
    return findings_frame(
        rows,
        "privilege_grant",
        "privilege_grant",
        score,
        reason,
        "is_priv_grant",
        ctx.config,
    )


def post_contract(ctx: Context) -> pl.DataFrame:
    """Report any activity after the directory's end date."""
    rows = ctx.daily.filter(pl.col("post_contract"))
    days_after = (pl.col("day") - pl.col("end_date")).dt.total_days()
    reason = sentence(
        "{} events on {}, {} day(s) after the contract ended on {}",
        pl.col("events"),
        pl.col("day"),
        days_after,
        pl.col("end_date"),
    )
    score = 70.0 + 10.0 * pl.col("events").clip(1, 100).log10()
    return findings_frame(
        rows, "post_contract", "post_contract", score, reason, None, ctx.config
    )


def failed_logon_burst(ctx: Context) -> pl.DataFrame:
    """Report days with many failed logons, far above the identity's usual."""
    config = ctx.config
    usual = pl.col("failed_med").fill_null(0.0)
    rows = ctx.daily.filter(
        (pl.col("failed") >= config.failed_logon_min)
        & (pl.col("failed") >= 5 * pl.max_horizontal(usual, pl.lit(1.0)))
    )
    reason = sentence(
        "{} failed logons in one day; usually {} a day",
        pl.col("failed"),
        fmt_num(usual),
    )
    score = 25.0 + 15.0 * (pl.col("failed") / config.failed_logon_min).log(2)
    return findings_frame(
        rows,
        "failed_logon_burst",
        "failed_logon_burst",
        score,
        reason,
        "is_failed",
        config,
    )
