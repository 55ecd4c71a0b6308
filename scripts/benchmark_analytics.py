"""Time analytics.pipeline.analyze on seeded event frames of growing size.

Frames are built directly in Polars (no files, no importers) with the
columns of the case's events table: about 50 events per person per working
day, so 1M events is about 110 people over 180 days and 10M about 1,100.
Prints seconds, the ratio to the first size, and the peak resident memory
of this process (ru_maxrss, which never decreases, so each line shows the
peak so far).

Usage: python scripts/benchmark_analytics.py [--sizes 1000000,3000000,10000000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import datetime

import numpy as np
import polars as pl

from analytics.pipeline import AnalyticsConfig, analyze

DAYS = 180
EVENTS_PER_PERSON = 9_000
DEPARTMENTS = ("Sales", "Finance", "Engineering", "HR", "IT", "Legal")
# action, category, share of events
ACTIONS = (
    ("logon", "authentication", 0.10),
    ("logon-failed", "authentication", 0.01),
    ("file-access", "file", 0.30),
    ("file-download", "file", 0.10),
    ("mail-send", "email", 0.12),
    ("http-request", "web", 0.35),
    ("usb-copy", "device", 0.01),
    ("privilege-grant", "iam", 0.01),
)
SITES = (
    "https://www.example.com/news",
    "https://intranet.corp.example/home",
    "https://www.indeed.com/jobs",
    "https://www.dropbox.com/upload",
    "https://pastebin.com/raw",
)
CITIES = (("London", "GB"), ("Manchester", "GB"), ("Berlin", "DE"), ("Paris", "FR"))


def build_events(rows: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (events, directory) with `rows` seeded events."""
    rng = np.random.default_rng(seed)
    people = max(10, rows // EVENTS_PER_PERSON)
    user = rng.integers(0, people, rows)
    day = rng.integers(0, DAYS, rows)
    seconds = (day * 86_400 + rng.normal(13.0, 2.5, rows).clip(0, 23.9) * 3600).astype(
        np.int64
    )
    start = np.datetime64(datetime(2024, 1, 1), "us")
    timestamp = start + seconds.astype("timedelta64[s]").astype("timedelta64[us]")
    shares = np.array([a[2] for a in ACTIONS])
    action = rng.choice(len(ACTIONS), rows, p=shares / shares.sum())
    place = np.where(rng.random(rows) < 0.98, user % 2, rng.integers(0, 4, rows))
    frame = pl.DataFrame(
        {
            "event_id": pl.int_range(0, rows, eager=True).cast(pl.String),
            "timestamp": timestamp,
            "user_id": user,
            "action": action,
            "place": place,
            "file": rng.zipf(1.3, rows) % 5_000,
            "site": rng.integers(0, len(SITES), rows),
            "bytes": rng.lognormal(11.0, 1.5, rows).astype(np.int64),
        }
    )
    names = pl.format("user{}", pl.col("user_id"))
    department = pl.col("user_id") % len(DEPARTMENTS)
    action_names = pl.Series([a[0] for a in ACTIONS])
    categories = pl.Series([a[1] for a in ACTIONS])
    is_web = pl.col("action") == 5
    is_mail = pl.col("action") == 4
    events = frame.select(
        "event_id",
        "timestamp",
        names.alias("user_name"),
        pl.lit("CORP").alias("user_domain"),
        pl.format("ws-{}", pl.col("user_id")).alias("host_name"),
        pl.col("place")
        .replace_strict(range(4), [c[1] for c in CITIES])
        .alias("source_country"),
        pl.col("place")
        .replace_strict(range(4), [c[0] for c in CITIES])
        .alias("source_city"),
        pl.when(is_web)
        .then(pl.col("site").replace_strict(range(len(SITES)), SITES))
        .when(is_mail)
        .then(pl.format("contact{}@partner.example", pl.col("file") % 50))
        .otherwise(pl.format("\\\\fs01\\{}\\doc{}.docx", department, pl.col("file")))
        .alias("object"),
        "bytes",
        pl.col("action")
        .replace_strict(range(len(ACTIONS)), categories)
        .alias("event_category"),
        pl.col("action")
        .replace_strict(range(len(ACTIONS)), action_names)
        .alias("event_action"),
        pl.lit("success").alias("event_outcome"),
        pl.when(is_web & (pl.col("site") == 3))
        .then(pl.lit("POST /upload 201"))
        .otherwise(pl.lit("GET / 200"))
        .alias("message"),
    )
    directory = pl.DataFrame({"user_id": [f"user{i}" for i in range(people)]})
    directory = directory.with_columns(
        pl.format("{}@corp.example", "user_id").alias("email"),
        pl.Series(
            "department", [DEPARTMENTS[i % len(DEPARTMENTS)] for i in range(people)]
        ),
        pl.lit("").alias("accounts"),
    )
    return events, directory


def peak_rss_gib() -> float:
    """Return this process's peak resident set size in GiB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1000000,3000000,10000000",
        help="comma-separated event counts (default 1M, 3M, 10M)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    reference = None
    print(
        f"{'events':>12} {'people':>7} {'seconds':>8} {'ratio':>6} "
        f"{'per 1M':>7} {'peak RSS GiB':>13}"
    )
    for size in sizes:
        events, directory = build_events(size, args.seed)
        began = time.perf_counter()
        result = analyze(events, directory, config=AnalyticsConfig())
        seconds = time.perf_counter() - began
        reference = reference or seconds / size
        ratio = seconds / (reference * sizes[0])
        print(
            f"{size:>12,} {directory.height:>7} {seconds:>8.1f} {ratio:>6.2f} "
            f"{seconds / size * 1e6:>7.2f} {peak_rss_gib():>13.2f}"
        )
        slowest = sorted(result.timings.items(), key=lambda kv: -kv[1])[:4]
        print("    slowest stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in slowest))
        del events, result
    return 0


if __name__ == "__main__":
    sys.exit(main())
