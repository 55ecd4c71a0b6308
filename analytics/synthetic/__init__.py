"""Seeded synthetic organisation with labelled insider scenarios.

`generate` writes real log formats under OUT/logs (Windows Security events as
a Sentinel CSV, auth.log, a proxy access log, a Purview audit CSV, CloudTrail
JSON and Entra sign-in NDJSON), plus OUT/directory.csv, OUT/ground_truth.csv
and OUT/ground_truth_events.csv. The same seed and arguments give
byte-identical files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from analytics.synthetic import catalog, cloud_writers, writers
from analytics.synthetic.baseline import baseline_records
from analytics.synthetic.org import (
    Organisation,
    active_days,
    build_calendar,
    build_organisation,
    trips,
)
from analytics.synthetic.records import RecordBuilder
from analytics.synthetic.scenarios import Scenario, inject, plan_scenarios

logger = logging.getLogger(__name__)

LOG_FOLDER = "logs"


@dataclass(frozen=True)
class SynthResult:
    """Counts and files written by `generate`, for the command-line summary."""

    out_dir: Path
    users: int
    days: int
    records: int
    scenarios: int
    files: list[Path]


def generate(
    out_dir: Path | str,
    users: int = 1000,
    days: int = 180,
    seed: int = 1,
    insider_rate: float = 0.03,
    start: date = date(2024, 1, 1),
) -> SynthResult:
    """Generate a synthetic organisation's logs, directory and ground truth."""
    if users < 20:
        raise ValueError(f"users must be at least 20, got {users}")
    if days < 14:
        raise ValueError(f"days must be at least 14, got {days}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    calendar = build_calendar(start, days)
    org = build_organisation(rng, users, calendar)
    scenarios = plan_scenarios(rng, org, insider_rate)
    active = active_days(rng, org)
    travel = trips(rng, org, active)

    builder = RecordBuilder(org, rng)
    frames = baseline_records(builder, active, travel)
    frames += [inject(builder, scenario) for scenario in scenarios]
    # A scenario without records has nothing to detect, so it is no ground truth.
    empty = [s.scenario_id for s in scenarios if not s.records]
    if empty:
        logger.info("scenarios left out, no records injected: %s", ", ".join(empty))
        scenarios = [s for s in scenarios if s.records]
    records = pl.concat([f for f in frames if f.height], how="vertical")
    records = _with_names(records, org)
    logger.info(
        "synthetic organisation: %s records for %s people", records.height, users
    )

    logs = out / LOG_FOLDER
    writer_functions = (
        writers.write_windows,
        writers.write_linux,
        writers.write_proxy,
        cloud_writers.write_m365,
        cloud_writers.write_cloudtrail,
        cloud_writers.write_signins,
    )
    grounds = [write(records, logs, rng) for write in writer_functions]
    ground_events = pl.concat(grounds).with_columns(
        (pl.lit(LOG_FOLDER + "/") + pl.col("file")).alias("file")
    )
    _write_csv(
        ground_events.sort("scenario_id", "file"), out / "ground_truth_events.csv"
    )
    _write_csv(_ground_truth(scenarios, org, ground_events), out / "ground_truth.csv")
    _write_csv(directory(org, rng), out / "directory.csv")
    files = sorted(p for p in logs.rglob("*") if p.is_file())
    return SynthResult(out, users, days, records.height, len(scenarios), files)


def _write_csv(frame: pl.DataFrame, path: Path) -> None:
    frame.write_csv(path, line_terminator="\n")


def _with_names(records: pl.DataFrame, org: Organisation) -> pl.DataFrame:
    people = org.people.with_row_index("index").select(
        pl.col("index").cast(pl.Int32),
        "user_id",
        "display_name",
        "host",
        "agent",
    )
    return records.join(
        people.select(
            "index",
            "user_id",
            pl.col("host").alias("user_host"),
            pl.col("agent").alias("agent_index"),
        ),
        left_on="user",
        right_on="index",
        how="left",
    ).join(
        people.select("index", pl.col("user_id").alias("account_id"), "display_name"),
        left_on="account",
        right_on="index",
        how="left",
    )


def _day(org: Organisation, index: int) -> date:
    return org.calendar.start + timedelta(days=int(index))


def _ground_truth(
    scenarios: list[Scenario], org: Organisation, events: pl.DataFrame
) -> pl.DataFrame:
    ids = org.column("user_id")
    counts = dict(events.group_by("scenario_id").len().iter_rows())
    return pl.DataFrame(
        {
            "scenario_id": [s.scenario_id for s in scenarios],
            "scenario": [s.kind for s in scenarios],
            "user_id": [str(ids[s.user]) for s in scenarios],
            "start": [_day(org, s.start) for s in scenarios],
            "end": [_day(org, s.end) for s in scenarios],
            "expected_features": [s.expected for s in scenarios],
            "intensity": [round(s.intensity, 3) for s in scenarios],
            "event_count": [counts.get(s.scenario_id, 0) for s in scenarios],
        },
        schema_overrides={"event_count": pl.Int64},
    )


def directory(org: Organisation, rng: np.random.Generator) -> pl.DataFrame:
    """Build the HR directory: one row per person with dates and account strings."""
    people = org.people
    start = org.calendar.start
    tenure = rng.integers(30, 3650, people.height)
    first = people.get_column("first_day").to_numpy()
    start_dates = [
        start + timedelta(days=int(f)) if hired else start - timedelta(days=int(t))
        for f, hired, t in zip(
            first, people.get_column("new_hire"), tenure, strict=True
        )
    ]
    end_dates = [
        None if e < 0 else start + timedelta(days=int(e))
        for e in people.get_column("directory_end").to_numpy()
    ]
    admin_account = (
        pl.when(pl.col("is_admin"))
        .then(pl.lit(";" + catalog.DOMAIN + "\\a-") + pl.col("user_id"))
        .otherwise(pl.lit(""))
    )
    return people.select(
        "user_id",
        "display_name",
        (pl.col("user_id") + "@" + catalog.MAIL_DOMAIN).alias("email"),
        "department",
        "role",
        "manager",
        pl.Series("start_date", start_dates),
        pl.Series("end_date", end_dates, dtype=pl.Date),
        pl.Series("watch_list", (rng.random(people.height) < 0.01).astype(np.int8)),
        pl.concat_str(
            [
                pl.lit(catalog.DOMAIN + "\\"),
                pl.col("user_id"),
                pl.lit(";"),
                pl.col("user_id"),
                pl.lit(f";arn:aws:iam::{catalog.AWS_ACCOUNT}:user/"),
                pl.col("user_id"),
                pl.lit(";"),
                pl.col("user_id"),
                pl.lit("@" + catalog.MAIL_DOMAIN),
                admin_account,
            ]
        ).alias("accounts"),
    )
