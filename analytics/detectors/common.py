"""Detector input context, the finding frame and helpers for scores and reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from analytics.config import AnalyticsConfig

# Columns of a detector's output before event ids are attached. `evidence`
# names the event flag whose events on that identity-day back the finding;
# a detector with its own events fills `event_ids` instead.
FINDING_SCHEMA: dict[str, pl.DataType] = {
    "iid": pl.UInt32,
    "day": pl.Date,
    "detector": pl.String,
    "feature": pl.String,
    "score": pl.Float64,
    "reason": pl.String,
    "evidence": pl.String,
    "event_ids": pl.List(pl.String),
}


@dataclass(frozen=True)
class Context:
    """The inputs of every detector.

    Attributes:
        events: prepared events (see analytics.events.prepare_events).
        daily: features per identity and day with their baselines.
        people: one row per identity with iid, peer and directory dates.
        config: the tunables.
        first_day: first day of the whole case, for warm-up decisions.
        since: in an incremental run, the first day whose findings are
            kept; a detector may skip work that only serves earlier days.
        shared: frames that several detectors need, computed once per run.
    """

    events: pl.DataFrame
    daily: pl.DataFrame
    people: pl.DataFrame
    config: AnalyticsConfig
    first_day: date
    since: date | None = None
    shared: dict[str, pl.DataFrame] = field(default_factory=dict)

    @property
    def case_age(self) -> pl.Expr:
        """Calendar days since the first day of the case, as an expression."""
        return (pl.col("day") - pl.lit(self.first_day)).dt.total_days()


def findings_frame(
    frame: pl.DataFrame,
    detector: str,
    feature: str | pl.Expr,
    score: pl.Expr,
    reason: pl.Expr,
    evidence: str | None,
    config: AnalyticsConfig,
) -> pl.DataFrame:
    """Shape rows of `frame` (with iid and day) into findings."""
    weight = config.weight(detector)
    feature_expr = pl.lit(feature) if isinstance(feature, str) else feature
    return frame.select(
        pl.col("iid").cast(pl.UInt32),
        pl.col("day"),
        pl.lit(detector).alias("detector"),
        feature_expr.cast(pl.String).alias("feature"),
        (score * weight).clip(0.0, 100.0).cast(pl.Float64).alias("score"),
        reason.cast(pl.String).alias("reason"),
        pl.lit(evidence, pl.String).alias("evidence"),
        pl.lit(None, pl.List(pl.String)).alias("event_ids"),
    ).filter(pl.col("score") > 0)


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)


def z_points(z: pl.Expr, config: AnalyticsConfig, base: float = 35.0) -> pl.Expr:
    """Map a peer-adjusted z-score at or above the threshold to 0..100 points."""
    return (base + config.z_score_slope * (z - config.z_threshold)).clip(0.0, 100.0)


def fmt_num(expr: pl.Expr, digits: int = 0) -> pl.Expr:
    """Format a number for a sentence: rounded, no trailing '.0'."""
    if digits == 0:
        return expr.round(0).cast(pl.Int64).cast(pl.String)
    return expr.round(digits).cast(pl.String)


def fmt_bytes(expr: pl.Expr) -> pl.Expr:
    """Format a byte count as MB with one decimal, or as kB below 1 MB."""
    return (
        pl.when(expr < 1e6)
        .then(pl.format("{} kB", (expr / 1e3).round(0).cast(pl.Int64)))
        .otherwise(pl.format("{} MB", (expr / 1e6).round(1)))
    )


def ratio_text(value: pl.Expr, median: pl.Expr, unit: float = 1.0) -> pl.Expr:
    """Return '38x' for value over median, or 'far above' when the median is tiny.

    A median below `unit` (1 for counts, 0.1 MB for byte counts) makes any
    multiple meaningless to a reader, such as 516000000x a usual of zero.
    """
    ratio = value / median
    return (
        pl.when(median >= unit)
        .then(pl.format("{}x", ratio.round(1)))
        .otherwise(pl.lit("far above"))
    )


def sentence(template: str, *args: object) -> pl.Expr:
    """Format a reason; plain Python values are literals, not column names."""
    values = [a if isinstance(a, pl.Expr) else pl.lit(str(a)) for a in args]
    return pl.format(template, *values)
