"""Causal baselines: each identity's own past and the peer group's same day.

Own baseline: median and interquartile range of the previous
`baseline_days` active days, today excluded, so a day is always compared
with days before it. The robust scale is IQR / 1.349 (the normal
distribution's standard deviation for that IQR), floored so that a quiet
history of zeros does not make every small count extreme.

Peer baseline: the same day's median and spread among the identity's peer
group, and the peer factor: the peers' median of (value + 1) / (own median
+ 1) that day. The peer-adjusted z-score compares a value with the own
median times that factor, in units of the own scale times the factor. So a
whole team moving together (month-end at ten times the usual) scores near
zero, while one person moving alone keeps a high score.
Identities still in their warm-up are scored against the peers alone.
"""

from __future__ import annotations

import polars as pl

from analytics.config import AnalyticsConfig

# Features with an own and a peer baseline, and the scale floor of each.
BASELINE_FEATURES: dict[str, float] = {
    "events": 5.0,
    "logons": 1.0,
    "failed": 2.0,
    "off_hours": 2.0,
    "first_hour": 1.0,
    "last_hour": 1.0,
    "hosts": 1.0,
    "downloads": 2.0,
    "file_reads": 2.0,
    "bytes_down": 1e6,
    "bytes_up": 1e6,
    "uploads_ext": 1.0,
    "usb_copies": 1.0,
    "mails": 3.0,
    "mail_ext": 1.0,
    "mail_personal": 1.0,
    "exports": 1.0,
    "admin": 1.0,
    "new_objects": 2.0,
    "peer_rare": 1.0,
}
IQR_TO_SIGMA = 1.349


def own_baselines(
    daily: pl.DataFrame, config: AnalyticsConfig, features=None
) -> pl.DataFrame:
    """Add `<f>_med`, `<f>_max`, `<f>_scale` and `<f>_z` (own robust z-score).

    `daily` must be sorted by iid and day. Rows with fewer than one earlier
    active day get a null median and z-score.
    """
    features = features or list(BASELINE_FEATURES)
    frame = daily.with_columns(_rolling_statistics(daily, features, config))
    scored = []
    for name in features:
        floor = BASELINE_FEATURES.get(name, 1.0)
        median = pl.col(f"{name}_med")
        scale = pl.max_horizontal(
            pl.col(f"{name}_iqr") / IQR_TO_SIGMA,
            0.5 * median.abs().sqrt() if floor <= 5 else pl.lit(0.0),
            pl.lit(floor),
        )
        scored += [
            ((pl.col(name) - median) / scale).alias(f"{name}_z"),
            scale.alias(f"{name}_scale"),
        ]
    return frame.with_columns(scored).drop([f"{n}_iqr" for n in features])


def _rolling_statistics(
    daily: pl.DataFrame, features: list[str], config: AnalyticsConfig
) -> list[pl.Series]:
    """Return `<f>_med`, `<f>_iqr` and `<f>_max` over each identity's past days.

    `<f>_max` leaves out the last day of the window, so that the first day
    of a run of high days does not hide the second one.

    The window contains the previous `baseline_days` rows of the same identity.
    From an identity's row number `baseline_days` on, that is the same as a
    rolling window over the whole sorted column, which is much cheaper than
    one window per identity. Only the first rows of each identity, whose
    window would reach into the previous identity, are computed per identity.
    """
    window = config.baseline_days

    def statistics(grouped: bool) -> list[pl.Expr]:
        columns = []
        for name in features:
            value = pl.col(name).cast(pl.Float64)
            # Without the identity grouping the value column has no nulls, and
            # shifting the statistic rather than the input keeps it that way:
            # the window of value[j - window .. j - 1] is the same. Polars'
            # rolling kernels for columns without nulls are about twice as fast.
            past = value.shift(1) if grouped else value
            later = (lambda e: e) if grouped else (lambda e: e.shift(1))
            median = past.rolling_median(window_size=window, min_samples=1)
            q75 = past.rolling_quantile(0.75, window_size=window, min_samples=1)
            q25 = past.rolling_quantile(0.25, window_size=window, min_samples=1)
            maximum = past.shift(1).rolling_max(window_size=window - 1, min_samples=1)
            exprs = {
                "med": later(median),
                "iqr": later(q75 - q25),
                "max": later(maximum),
            }
            for suffix, expr in exprs.items():
                expr = expr.over("iid") if grouped else expr
                columns.append(expr.alias(f"{name}_{suffix}"))
        return columns

    head = pl.col("active_index") < window
    whole = daily.select(statistics(grouped=False))
    rows = daily.with_row_index("_row").filter(head)
    first_rows = rows.select("_row", *statistics(grouped=True))
    index = first_rows.get_column("_row")
    result = []
    for column in whole.columns:
        series = whole.get_column(column).clone()
        series.scatter(index, first_rows.get_column(column))
        result.append(series)
    return result


def peer_baselines(
    daily: pl.DataFrame, config: AnalyticsConfig, features=None
) -> pl.DataFrame:
    """Add same-day peer statistics and the peer-adjusted z-score per feature.

    Adds `<f>_peer_med` (peer median of the value), `<f>_peer_factor` (peer
    median of value over own median, see the module docstring),
    `<f>_peer_high` (peers at least `ratio_threshold` times their own
    median), `peer_size` (active peers that day) and `<f>_adj`, the score
    the detectors threshold.
    """
    features = features or list(BASELINE_FEATURES)
    warm = pl.col("active_index") >= config.warmup_days
    aggregations = [pl.len().alias("peer_size")]
    for name in features:
        value = pl.col(name).cast(pl.Float64)
        ratio_high = (
            value
            >= config.ratio_threshold * pl.max_horizontal(pl.col(f"{name}_med"), 1)
        ) & (value >= config.min_volume)
        aggregations += [
            value.median().alias(f"{name}_peer_med"),
            (value.quantile(0.75) - value.quantile(0.25)).alias(f"{name}_peer_iqr"),
            ((value + 1) / (pl.col(f"{name}_med") + 1))
            .filter(warm)
            .median()
            .alias(f"{name}_peer_factor"),
            ratio_high.sum().cast(pl.Int32).alias(f"{name}_peer_high"),
        ]
    peers = daily.group_by("peer", "day").agg(aggregations)
    frame = daily.join(peers, on=["peer", "day"], how="left")
    enough_peers = pl.col("peer_size") >= config.min_peers
    adjusted = []
    for name in features:
        floor = BASELINE_FEATURES.get(name, 1.0)
        own_z = pl.col(f"{name}_z")
        factor = pl.col(f"{name}_peer_factor").fill_null(1.0).clip(lower_bound=1.0)
        expected = pl.col(f"{name}_med") * factor
        damped_z = (pl.col(name) - expected) / (pl.col(f"{name}_scale") * factor)
        damped = pl.when(enough_peers).then(damped_z).otherwise(own_z)
        peer_scale = pl.max_horizontal(
            pl.col(f"{name}_peer_iqr") / IQR_TO_SIGMA, pl.lit(floor)
        )
        versus_peers = (pl.col(name) - pl.col(f"{name}_peer_med")) / peer_scale
        adjusted.append(
            pl.when(warm & own_z.is_not_null())
            .then(damped)
            .when(enough_peers)
            .then(versus_peers)
            .otherwise(None)
            .alias(f"{name}_adj")
        )
    return frame.with_columns(adjusted).drop([f"{n}_peer_iqr" for n in features])


def with_baselines(daily: pl.DataFrame, config: AnalyticsConfig) -> pl.DataFrame:
    """Return `daily` with own and peer baselines for every baseline feature."""
    return peer_baselines(own_baselines(daily, config), config)
