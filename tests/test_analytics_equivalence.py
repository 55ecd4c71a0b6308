"""The fast feature code against the plain definitions it replaces.

The pipeline computes first-seen counts from per-identity first days,
rolling baselines over the whole sorted column, and identity codes by
lookup instead of joins. These tests compute the same values the direct way
(window functions per event, one rolling window per identity) on a seeded
frame and expect identical results.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics.baselines import BASELINE_FEATURES, own_baselines
from analytics.config import AnalyticsConfig
from analytics.events import (
    MESSAGE_PREFIX_CHARS,
    compact_events,
    conform_events,
    identity_table,
    people_table,
    prepare_events,
)
from analytics.features import COUNT_FEATURES, daily_features
from analytics.pipeline import analyze

ACTIONS = ("logon", "file-access", "file-download", "mail-send", "http-request")
CATEGORIES = ("authentication", "file", "file", "email", "web")
COUNTRIES = ("GB", "GB", "GB", "DE", "FR", None)


def seeded_events(people: int = 16, days: int = 70, seed: int = 5) -> pl.DataFrame:
    """Return random events with mixed-case hosts, null places and shared files."""
    rng = np.random.default_rng(seed)
    rows = 30 * people * days
    user = rng.integers(0, people, rows)
    action = rng.integers(0, len(ACTIONS), rows)
    start = datetime(2024, 1, 1)
    timestamps = [
        start + timedelta(days=int(d), minutes=int(m))
        for d, m in zip(
            rng.integers(0, days, rows), rng.integers(0, 1440, rows), strict=True
        )
    ]
    host = rng.integers(0, people + 4, rows)
    host_names = []
    for number in host:
        if number == 0:
            host_names.append(None)
        else:
            host_names.append(f"WS-{number}" if number % 2 else f"ws-{number}")
    return pl.DataFrame(
        {
            "event_id": [f"{i:06d}" for i in range(rows)],
            "timestamp": timestamps,
            "user_name": [
                f"user{u:02d}$" if u == people - 1 else f"user{u:02d}" for u in user
            ],
            "user_domain": ["CORP" if u % 3 else None for u in user],
            "target_user": [f"USER{u:02d}" if u % 7 == 0 else None for u in user],
            "host_name": host_names,
            "source_country": [COUNTRIES[i] for i in rng.integers(0, 6, rows)],
            "object": [
                f"\\\\fs\\share\\doc{f}.docx"
                if a in (1, 2)
                else "https://pastebin.com/x"
                if f % 11 == 0
                else f"https://www.example.com/{f}"
                for a, f in zip(action, rng.zipf(1.5, rows) % 400, strict=True)
            ],
            "bytes": rng.integers(0, 10**6, rows),
            "event_category": [CATEGORIES[a] for a in action],
            "event_action": [ACTIONS[a] for a in action],
            "event_outcome": "success",
            "message": [
                "POST /upload 201" if a == 4 and i % 5 == 0 else "GET /page 200"
                for i, a in enumerate(action)
            ],
        }
    )


def directory(people: int = 16) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "user_id": [f"user{u:02d}" for u in range(people)],
            "email": [f"user{u:02d}@corp.example" for u in range(people)],
            "department": ["Sales" if u % 2 else "Finance" for u in range(people)],
        }
    )


def prepared_and_people(
    events: pl.DataFrame, config: AnalyticsConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    lazy = conform_events(events)
    identities = identity_table(lazy, directory(), None)
    people = people_table(identities, directory(), config)
    prepared = prepare_events(lazy, identities, people, ["corp.example"], config)
    return prepared, people


def windowed_daily(prepared: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """Return the daily counts with first-seen flags defined by window functions."""
    peers = people.select("iid", pl.col("peer").cast(pl.Categorical()))
    frame = prepared.join(peers, on="iid", how="left")
    day = pl.col("day")
    file_event = (
        pl.col("is_download")
        | pl.col("is_file_read")
        | (pl.col("event_category") == "file")
    )
    object_key = pl.when(file_event).then(pl.col("obj_h"))
    frame = frame.with_columns(
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
    return (
        frame.group_by("iid", "day")
        .agg(
            pl.len().alias("events"),
            pl.col("host").n_unique().alias("hosts"),
            pl.col("country").drop_nulls().n_unique().alias("countries"),
            *[
                pl.col(flag).sum().cast(pl.Int32).alias(name)
                for name, flag in COUNT_FEATURES.items()
            ],
        )
        .sort("iid", "day")
    )


def test_first_seen_counts_match_windows():
    config = AnalyticsConfig()
    prepared, people = prepared_and_people(seeded_events(), config)
    expected = windowed_daily(prepared, people)

    daily = daily_features(prepared, people).select(expected.columns)

    assert_frame_equal(daily, expected)


def test_own_baselines_match_per_identity():
    config = AnalyticsConfig(baseline_days=10)
    prepared, people = prepared_and_people(seeded_events(), config)
    daily = daily_features(prepared, people)
    window = config.baseline_days
    expected = []
    for name in BASELINE_FEATURES:
        past = pl.col(name).cast(pl.Float64).shift(1)
        q75 = past.rolling_quantile(0.75, window_size=window, min_samples=1)
        q25 = past.rolling_quantile(0.25, window_size=window, min_samples=1)
        expected += [
            past.rolling_median(window_size=window, min_samples=1)
            .over("iid")
            .alias(f"{name}_med"),
            # The maximum leaves out the window's last day (yesterday).
            past.shift(1)
            .rolling_max(window_size=window - 1, min_samples=1)
            .over("iid")
            .alias(f"{name}_max"),
            (q75 - q25).over("iid").alias(f"{name}_iqr"),
        ]
    expected = daily.select(expected).with_columns(
        pl.max_horizontal(
            pl.col(f"{name}_iqr") / 1.349,
            0.5 * pl.col(f"{name}_med").abs().sqrt() if floor <= 5 else pl.lit(0.0),
            pl.lit(floor),
        ).alias(f"{name}_scale")
        for name, floor in BASELINE_FEATURES.items()
    )

    result = own_baselines(daily, config)

    for name in BASELINE_FEATURES:
        assert_frame_equal(
            result.select(f"{name}_med", f"{name}_max", f"{name}_scale"),
            expected.select(f"{name}_med", f"{name}_max", f"{name}_scale"),
        )


@pytest.mark.parametrize("truncate", [False, True])
def test_compact_input_same_result(truncate):
    events = seeded_events(days=40)
    compact = compact_events(events)
    if truncate:
        compact = compact.with_columns(
            pl.col("message").str.slice(0, MESSAGE_PREFIX_CHARS).cast(pl.Categorical())
        )

    plain = analyze(events, directory())
    fast = analyze(compact, directory())

    assert plain.findings.height > 0
    assert_frame_equal(fast.findings, plain.findings)
    assert_frame_equal(fast.risk, plain.risk)
