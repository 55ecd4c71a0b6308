"""Risk per identity and day: a decayed sum of finding scores, with reasons.

risk(D) = sum over findings f with D - risk_window_days <= day(f) <= D of
weight(f) * score(f) * 0.5 ** ((D - day(f)) / half_life). The weight is 1
unless the investigator triaged the finding, or an earlier finding of the
same identity and feature, as benign.

Each row carries a level: "high" from `alert_risk` up, the identities an
analyst reviews first (at most ten a day in the evaluation), and "medium"
from `min_risk` up to there.
"""

from __future__ import annotations

import polars as pl

from analytics.config import AnalyticsConfig

TRIAGE_STATES = ("confirmed", "benign", "needs_review")
RISK_SCHEMA: dict[str, pl.DataType] = {
    "identity": pl.String,
    "day": pl.Date,
    "score": pl.Float64,
    "top_reasons": pl.List(pl.String),
    "top_features": pl.List(pl.String),
    "level": pl.String,
}


def triage_weights(
    findings: pl.DataFrame, triage: pl.DataFrame | None, config: AnalyticsConfig
) -> pl.Series:
    """Return each finding's weight after the investigator's triage.

    A benign finding weighs `benign_weight`, and so does every finding of the
    same identity and feature on the same day or later. A confirmed finding
    weighs `confirmed_weight`. needs_review changes nothing.
    """
    if triage is None or triage.height == 0 or findings.height == 0:
        return pl.Series("weight", [1.0] * findings.height, dtype=pl.Float64)
    states = triage.select("finding_id", "state").unique("finding_id", keep="last")
    marked = findings.select("finding_id", "identity", "feature", "day").join(
        states, on="finding_id", how="inner"
    )
    benign = (
        marked.filter(pl.col("state") == "benign")
        .group_by("identity", "feature")
        .agg(pl.col("day").min().alias("benign_from"))
    )
    frame = (
        findings.select("finding_id", "identity", "feature", "day")
        .join(benign, on=["identity", "feature"], how="left")
        .join(states, on="finding_id", how="left")
    )
    weight = (
        pl.when(pl.col("state") == "confirmed")
        .then(config.confirmed_weight)
        .when(
            pl.col("benign_from").is_not_null()
            & (pl.col("day") >= pl.col("benign_from"))
        )
        .then(config.benign_weight)
        .otherwise(1.0)
    )
    return frame.select(weight.cast(pl.Float64).alias("weight")).to_series()


def risk_scores(
    findings: pl.DataFrame,
    last_day,
    config: AnalyticsConfig,
    triage: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Compute risk for every identity and day from its first finding to last_day.

    Args:
        findings: finding_id, identity, day, feature, score, reason.
        last_day: last day of the case; risk decays until then.
        config: half-life, window of reasons and the reporting floor.
        triage: finding_id, state.

    Returns:
        identity, day, score, top_reasons, top_features, level (RISK_SCHEMA),
        rows with a score below `min_risk` left out.
    """
    if findings.height == 0:
        return pl.DataFrame(schema=RISK_SCHEMA)
    decay = 0.5 ** (1.0 / config.half_life_days)
    weighted = findings.with_columns(
        (pl.col("score") * triage_weights(findings, triage, config)).alias("points")
    )
    daily = weighted.group_by("identity", "day").agg(pl.col("points").sum())
    starts = daily.group_by("identity").agg(
        (pl.col("day").min() - pl.duration(days=1)).alias("start")
    )
    grid = starts.select(
        "identity",
        pl.date_ranges("start", pl.lit(last_day), interval="1d").alias("day"),
    ).explode("day")
    grid = grid.join(daily, on=["identity", "day"], how="left").sort("identity", "day")
    alpha = 1.0 - decay
    # The exponential mean, divided by alpha, is the decayed sum over all
    # earlier days. Subtracting that sum as of window + 1 days ago, decayed
    # to today, leaves the findings of the last `risk_window_days` days, the
    # same findings that `explain` draws the reasons from. The grid has one
    # row per calendar day, so a shift by rows is a shift by days.
    window = config.risk_window_days + 1
    grid = grid.with_columns(
        (pl.col("points").fill_null(0.0).ewm_mean(alpha=alpha, adjust=False) / alpha)
        .over("identity")
        .alias("_all")
    ).with_columns(
        (
            pl.col("_all")
            - decay**window
            * pl.col("_all").shift(window).over("identity").fill_null(0.0)
        ).alias("score")
    )
    risk = grid.filter(pl.col("score") >= config.min_risk).select(
        "identity", "day", "score"
    )
    level = pl.when(pl.col("score") >= config.alert_risk).then(pl.lit("high"))
    return (
        risk.join(
            explain(weighted, risk, decay, config), on=["identity", "day"], how="left"
        )
        .with_columns(level.otherwise(pl.lit("medium")).alias("level"))
        .select(RISK_SCHEMA.keys())
    )


def explain(
    weighted: pl.DataFrame, risk: pl.DataFrame, decay: float, config: AnalyticsConfig
) -> pl.DataFrame:
    """Return the top three features and their best reasons per identity-day.

    Only findings from the last `risk_window_days` days are considered, so
    an old finding whose weight has decayed away no longer explains today.
    """
    offsets = pl.int_ranges(0, config.risk_window_days + 1)
    spread = (
        weighted.select("identity", "day", "feature", "reason", "points")
        .with_columns(offsets.alias("offset"))
        .explode("offset")
        .with_columns(
            (pl.col("day") + pl.duration(days=pl.col("offset"))).alias("as_of"),
            (pl.col("points") * decay ** pl.col("offset").cast(pl.Float64)).alias(
                "weight"
            ),
        )
    )
    spread = spread.join(
        risk.select("identity", pl.col("day").alias("as_of")),
        on=["identity", "as_of"],
        how="semi",
    )
    per_feature = spread.group_by("identity", "as_of", "feature").agg(
        pl.col("weight").sum().alias("total"),
        pl.col("reason").sort_by("weight", descending=True).first(),
    )
    return (
        per_feature.sort(
            ["identity", "as_of", "total"], descending=[False, False, True]
        )
        .group_by("identity", "as_of", maintain_order=True)
        .agg(
            pl.col("reason").head(3).alias("top_reasons"),
            pl.col("feature").head(3).alias("top_features"),
        )
        .rename({"as_of": "day"})
    )
