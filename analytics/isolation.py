"""Isolation Forest over the identity-day feature matrix, fitted causally.

The forest is refitted every `forest_refit_days` days on a sample of the
rows before that block, and scores only the block's rows, so a day's score
never depends on later days. A row is reported when its score is below the
training scores' `forest_quantile`. Its top contributing features are those
farthest from the training medians, in units of the training IQR.
"""

from __future__ import annotations

import logging

import numpy as np
import polars as pl

from analytics.detectors.common import Context, empty_findings, findings_frame
from analytics.features import MODEL_FEATURES

logger = logging.getLogger(__name__)

ADJUSTED_FEATURES = ("downloads", "file_reads", "uploads_ext", "mail_ext", "off_hours")


def feature_matrix(daily: pl.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Return the model matrix (log counts and peer-adjusted z) and its names."""
    columns = [
        pl.col(name).cast(pl.Float64).fill_null(0.0).clip(0.0).log1p()
        for name in MODEL_FEATURES
    ]
    names = list(MODEL_FEATURES)
    for name in ADJUSTED_FEATURES:
        if f"{name}_adj" in daily.columns:
            columns.append(pl.col(f"{name}_adj").fill_null(0.0).clip(-10.0, 10.0))
            names.append(f"{name} vs usual")
    matrix = daily.select(columns).to_numpy().astype(np.float64)
    return matrix, names


def isolation_forest(ctx: Context) -> pl.DataFrame:
    """Score every identity-day with a forest fitted on the days before its block."""
    # Imported here: scikit-learn takes over a second to import, and a
    # risk-only run never gets this far.
    from sklearn.ensemble import IsolationForest

    config = ctx.config
    daily = ctx.daily
    if daily.height == 0:
        return empty_findings()
    matrix, names = feature_matrix(daily)
    age = daily.select(ctx.case_age).to_series().to_numpy()
    block = age // config.forest_refit_days
    scores = np.full(daily.height, np.nan)
    thresholds = np.full(daily.height, np.nan)
    top = np.full((daily.height, 3), -1, dtype=np.int64)
    # Blocks that end before an incremental run's first day are not needed:
    # each block's forest depends only on earlier rows and its own seed.
    first_block = 0
    if ctx.since is not None:
        first_block = (ctx.since - ctx.first_day).days // config.forest_refit_days
    for index in np.unique(block):
        if index < first_block:
            continue
        train = np.flatnonzero(block < index)
        if train.size < config.forest_min_rows:
            continue
        rng = np.random.default_rng(config.seed + int(index))
        if train.size > config.forest_max_train_rows:
            train = np.sort(rng.choice(train, config.forest_max_train_rows, False))
        forest = IsolationForest(
            n_estimators=config.forest_trees,
            max_samples=min(256, train.size),
            random_state=config.seed + int(index),
        )
        forest.fit(matrix[train])
        calibration = train[: config.forest_calibration_rows]
        threshold = np.quantile(
            forest.score_samples(matrix[calibration]), config.forest_quantile
        )
        rows = np.flatnonzero(block == index)
        scores[rows] = forest.score_samples(matrix[rows])
        thresholds[rows] = threshold
        median = np.median(matrix[train], axis=0)
        spread = np.subtract(*np.percentile(matrix[train], [75, 25], axis=0))
        spread = np.maximum(spread, 0.5)
        deviation = np.abs(matrix[rows] - median) / spread
        top[rows] = np.argsort(-deviation, axis=1)[:, :3]
    flagged = np.flatnonzero(scores < thresholds)
    if flagged.size == 0:
        return empty_findings()
    label = np.asarray(names)
    rows = daily[flagged].with_columns(
        pl.Series("_gap", thresholds[flagged] - scores[flagged]),
        pl.Series("_anomaly", -scores[flagged]),
        pl.Series("_top", [", ".join(label[t]) for t in top[flagged]]),
    )
    reason = pl.format(
        "unusual day overall (anomaly score {}); most unusual: {}",
        pl.col("_anomaly").round(2),
        pl.col("_top"),
    )
    score = (25.0 + 400.0 * pl.col("_gap")).clip(upper_bound=60.0)
    return findings_frame(
        rows, "isolation_forest", "isolation_forest", score, reason, None, config
    )
