"""Time analytics.pipeline.analyze on seeded event frames of growing size.

Frames are built directly in Polars (no files, no importers) with the
columns and types that workspace.analysis.load_events returns: about 50
events per person per working day, so 1M events is about 110 people over
180 days and 10M about 1,100. Each size runs in a fresh child process, so
its peak resident memory (ru_maxrss) is its own. The child first analyses a
reference frame (--reference events) and then the measured one, and the
ratio of the two wall-clock times is the number to compare across sizes.
On a shared machine the absolute seconds vary with the load of other jobs,
while both runs of one process see about the same load. CPU seconds (user
plus system, all threads) are reported as well.

With --case-sizes the script also writes a case of that many events with
DuckDB (no importers) in a temporary folder, then in a fresh process loads
it with workspace.analysis.load_events and analyses it, timing both.

With --incremental-size the script writes such a case and holds back its
last --new-days days. It runs a full analysis through workspace.analysis,
adds the held-back days as a new source and runs again, which makes an
incremental run, and then forces a full run on the same events. The
incremental run's time is reported as a ratio to that last full run, in
the same process.

Usage: python scripts/benchmark_analytics.py [--sizes 1000000,3000000,10000000]
       [--case-sizes 1000000,3000000] [--incremental-size 3000000 --new-days 7]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from analytics.events import compact_events
from analytics.pipeline import AnalyticsConfig, analyze

DAYS = 180
EVENTS_PER_PERSON = 9_000
CHUNK_ROWS = 1_000_000
WARM_UP_ROWS = 100_000
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
    """Return (events, directory) with `rows` seeded events.

    The events are built in chunks of CHUNK_ROWS and compacted as the case
    loader does, so building them needs little more memory than the result.
    """
    people = max(10, rows // EVENTS_PER_PERSON)
    chunks = []
    for index, start in enumerate(range(0, rows, CHUNK_ROWS)):
        size = min(CHUNK_ROWS, rows - start)
        rng = np.random.default_rng([seed, index])
        chunks.append(compact_events(_event_chunk(rng, start, size, people)))
    events = pl.concat(chunks, rechunk=False)
    del chunks
    return events, build_directory(people)


def build_directory(people: int) -> pl.DataFrame:
    """Return the directory of the benchmark's `people` users."""
    directory = pl.DataFrame({"user_id": [f"user{i}" for i in range(people)]})
    directory = directory.with_columns(
        pl.format("{}@corp.example", "user_id").alias("email"),
        pl.Series(
            "department", [DEPARTMENTS[i % len(DEPARTMENTS)] for i in range(people)]
        ),
        pl.lit("").alias("accounts"),
    )
    return directory


def _event_chunk(
    rng: np.random.Generator, first_row: int, rows: int, people: int
) -> pl.DataFrame:
    """Return `rows` events, numbered from `first_row` like lines of one file."""
    user = rng.integers(0, people, rows)
    day = rng.integers(0, DAYS, rows)
    hours = rng.normal(13.0, 2.5, rows).clip(0, 23.9)
    seconds = (day * 86_400 + hours * 3600).astype(np.int64)
    start = np.datetime64(datetime(2024, 1, 1), "us")
    timestamp = start + seconds.astype("timedelta64[s]").astype("timedelta64[us]")
    shares = np.array([a[2] for a in ACTIONS])
    action = rng.choice(len(ACTIONS), rows, p=shares / shares.sum())
    place = np.where(rng.random(rows) < 0.98, user % 2, rng.integers(0, 4, rows))
    frame = pl.DataFrame(
        {
            "line": np.arange(first_row + 1, first_row + rows + 1),
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
    # Event ids as the workspace writes them: a file hash prefix and a line.
    file_hash = pl.lit(f"{first_row // CHUNK_ROWS:016x}")
    return frame.select(
        pl.format("{}:{}", file_hash, pl.col("line")).alias("event_id"),
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


def peak_rss_gib() -> float:
    """Return this process's peak resident set size in GiB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def cpu_seconds() -> float:
    """Return this process's user plus system CPU seconds so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed_analysis(rows: int, seed: int) -> dict:
    """Build `rows` events, analyse them and return times, counts and memory."""
    events, directory = build_events(rows, seed)
    input_rss = peak_rss_gib()
    began, cpu_began = time.perf_counter(), cpu_seconds()
    result = analyze(events, directory, config=AnalyticsConfig())
    measured = {
        "events": rows,
        "people": directory.height,
        "seconds": time.perf_counter() - began,
        "cpu_seconds": cpu_seconds() - cpu_began,
        "input_mib": events.estimated_size() / 1024**2,
        "peak_rss_after_build_gib": input_rss,
        "findings": result.findings.height,
        "risk_rows": result.risk.height,
        "stages": result.timings,
        "cpu_stages": result.cpu_timings,
    }
    del events, result
    return measured


def build_case(root: Path, rows: int, seed: int) -> None:
    """Write a case at `root` whose events table contains the benchmark events.

    The events go in with one DuckDB INSERT per chunk, as plain text columns,
    the way the importers store them, and a realistic `message` text.
    """
    from workspace.case import Workspace

    workspace = Workspace.create(root)
    try:
        for index, start in enumerate(range(0, rows, CHUNK_ROWS)):
            size = min(CHUNK_ROWS, rows - start)
            rng = np.random.default_rng([seed, index])
            chunk = _event_chunk(rng, start, size, max(10, rows // EVENTS_PER_PERSON))
            chunk = chunk.with_columns(
                pl.format("{} {}", pl.col("message"), pl.col("object")).alias(
                    "message"
                ),
                pl.col("event_id").str.split(":").list.last().alias("record_ref"),
            )
            workspace.con.register("chunk", chunk.to_arrow())
            workspace.con.execute(
                "INSERT INTO events (event_id, source_id, timestamp, record_ref, "
                "user_name, user_domain, host_name, source_country, source_city, "
                "object, bytes, event_category, event_action, event_outcome, message) "
                "SELECT event_id, 1, timestamp, record_ref, user_name, user_domain, "
                "host_name, source_country, source_city, object, bytes, "
                "event_category, event_action, event_outcome, message FROM chunk"
            )
            workspace.con.unregister("chunk")
    finally:
        workspace.close()


def timed_case(root: Path, rows: int) -> dict:
    """Load the case at `root` as `vigil analyze` does, analyse it, and time both."""
    from workspace.analysis import load_events
    from workspace.case import Workspace

    people = max(10, rows // EVENTS_PER_PERSON)
    workspace = Workspace.open(root, read_only=True)
    try:
        began, cpu_began = time.perf_counter(), cpu_seconds()
        events = load_events(workspace)
        load_seconds = time.perf_counter() - began
        load_cpu = cpu_seconds() - cpu_began
    finally:
        workspace.close()
    load_rss = peak_rss_gib()
    began, cpu_began = time.perf_counter(), cpu_seconds()
    result = analyze(events, build_directory(people), config=AnalyticsConfig())
    return {
        "events": events.height,
        "load_seconds": load_seconds,
        "load_cpu_seconds": load_cpu,
        "frame_mib": events.estimated_size() / 1024**2,
        "peak_rss_after_load_gib": load_rss,
        "analyze_seconds": time.perf_counter() - began,
        "analyze_cpu_seconds": cpu_seconds() - cpu_began,
        "peak_rss_gib": peak_rss_gib(),
        "stages": result.timings,
    }


def run_on_case(size: int, seed: int, step: list[str]) -> dict:
    """Write a case with DuckDB in one process, then run `step` on it in another.

    `step` is this script's hidden option and value for the second process,
    which prints its measurements as one JSON line.
    """
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        root = Path(tmp) / "benchmark.vigil"
        base = [sys.executable, __file__, "--seed", str(seed), "--case", str(root)]
        subprocess.run([*base, "--build-case", str(size)], check=True)
        output = subprocess.run(
            [*base, *step], check=True, capture_output=True, text=True
        )
    return json.loads(output.stdout.strip().splitlines()[-1])


def run_case(size: int, seed: int) -> dict:
    """Write a case with DuckDB in one process, then load and analyse it in another."""
    return run_on_case(size, seed, ["--load-case", str(size)])


def timed_incremental(root: Path, new_days: int) -> dict:
    """Time a full run, an incremental run after new days, and a forced full run."""
    from workspace.analysis import compute_analysis, plan_analysis, store_results
    from workspace.case import Workspace

    workspace = Workspace.open(root)
    con = workspace.con
    try:
        cut = con.execute(
            "SELECT max(timestamp)::DATE - ?::INTEGER + 1 FROM events", [new_days]
        ).fetchone()[0]
        con.execute(
            "CREATE TEMP TABLE held_back AS SELECT * FROM events WHERE timestamp >= ?",
            [cut],
        )
        con.execute("DELETE FROM events WHERE timestamp >= ?", [cut])
        con.execute("UPDATE held_back SET source_id = 2")
        measured: dict = {"new_days": new_days, "since": cut.isoformat()}
        for name, full in (("first", False), ("incremental", False), ("full", True)):
            if name == "incremental":
                new_events = con.execute("SELECT count(*) FROM held_back").fetchone()[0]
                measured["new_events"] = new_events
                con.execute("INSERT INTO events SELECT * FROM held_back")
            began = time.perf_counter()
            plan = plan_analysis(workspace, full=full)
            planned = time.perf_counter()
            result = compute_analysis(workspace, plan)
            computed = time.perf_counter()
            store_results(workspace, result, plan)
            stored = time.perf_counter()
            measured[f"{name}_seconds"] = stored - began
            measured[f"{name}_steps"] = {
                "plan": planned - began,
                "compute": computed - planned,
                "store": stored - computed,
                **result.timings,
            }
            measured[f"{name}_mode"] = result.mode
        measured["events"] = con.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        workspace.close()
    measured["peak_rss_gib"] = peak_rss_gib()
    return measured


def run_incremental(size: int, seed: int, new_days: int) -> dict:
    """Write a case in one process, then time the three runs in another."""
    return run_on_case(size, seed, ["--time-incremental", str(new_days)])


def run_child(size: int, reference: int, seed: int) -> None:
    """Analyse the reference frame, then `size` events; print one JSON line.

    A small warm-up run first keeps one-off start-up costs (lazy imports,
    thread pools) out of the reference time.
    """
    timed_analysis(WARM_UP_ROWS, seed)
    reference_run = timed_analysis(reference, seed)
    run = timed_analysis(size, seed)
    run["reference"] = reference_run
    run["peak_rss_gib"] = peak_rss_gib()
    print(json.dumps(run))


def run_size(size: int, reference: int, seed: int) -> dict:
    """Run one size in a fresh Python process and return its measurements."""
    command = [
        sys.executable,
        __file__,
        "--child",
        str(size),
        "--reference",
        str(reference),
        "--seed",
        str(seed),
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def print_table(runs: list[dict]) -> None:
    """Print one line per size and its slowest stages."""
    base = runs[0]
    base_ratio = base["seconds"] / base["reference"]["seconds"] / base["events"]
    print(
        f"{'events':>12} {'people':>7} {'seconds':>8} {'CPU s':>7} {'ref s':>6} "
        f"{'ratio':>6} {'linear':>7} {'s per 1M':>9} {'peak GiB':>9}"
    )
    for run in runs:
        ratio = run["seconds"] / run["reference"]["seconds"]
        per_million = run["seconds"] / run["events"] * 1e6
        # 1.00 means time grew exactly in proportion to events from the first size.
        linear = ratio / run["events"] / base_ratio
        print(
            f"{run['events']:>12,} {run['people']:>7} {run['seconds']:>8.1f} "
            f"{run['cpu_seconds']:>7.1f} {run['reference']['seconds']:>6.1f} "
            f"{ratio:>6.2f} {linear:>7.2f} {per_million:>9.2f} "
            f"{run['peak_rss_gib']:>9.2f}"
        )
        slowest = sorted(run["stages"].items(), key=lambda kv: -kv[1])[:6]
        stages = ", ".join(
            f"{name} {wall:.1f} s ({run['cpu_stages'].get(name, 0.0):.1f} CPU s)"
            for name, wall in slowest
        )
        print(f"    slowest stages: {stages}")


def print_cases(cases: list[dict]) -> None:
    """Print one line per case size: loading from DuckDB, then analysing."""
    print(
        f"{'case events':>12} {'load s':>7} {'load CPU s':>10} {'frame MiB':>10} "
        f"{'GiB after load':>15} {'analyze s':>10} {'analyze CPU s':>14} "
        f"{'peak GiB':>9}"
    )
    for case in cases:
        print(
            f"{case['events']:>12,} {case['load_seconds']:>7.1f} "
            f"{case['load_cpu_seconds']:>10.1f} {case['frame_mib']:>10.0f} "
            f"{case['peak_rss_after_load_gib']:>15.2f} "
            f"{case['analyze_seconds']:>10.1f} {case['analyze_cpu_seconds']:>14.1f} "
            f"{case['peak_rss_gib']:>9.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1000000,3000000,10000000",
        help="comma-separated event counts, one fresh process each "
        "(default 1M, 3M, 10M)",
    )
    parser.add_argument(
        "--reference",
        type=int,
        default=1_000_000,
        help="events in the reference run that precedes each measured run "
        "in the same process (default 1M)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--json", help="also write the measurements to this JSON file")
    parser.add_argument(
        "--case-sizes",
        default="",
        help="comma-separated event counts of cases written with DuckDB, then "
        "loaded and analysed in a fresh process (default: none)",
    )
    parser.add_argument(
        "--incremental-size",
        type=int,
        help="events of a case analysed in full, then again after new days",
    )
    parser.add_argument(
        "--new-days", type=int, default=7, help="days held back (default 7)"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--time-incremental", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--case", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--build-case", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--load-case", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        run_child(args.child, args.reference, args.seed)
        return 0
    if args.build_case is not None:
        build_case(args.case, args.build_case, args.seed)
        return 0
    if args.load_case is not None:
        print(json.dumps(timed_case(args.case, args.load_case)))
        return 0
    if args.time_incremental is not None:
        print(json.dumps(timed_incremental(args.case, args.time_incremental)))
        return 0
    if args.incremental_size:
        run = run_incremental(args.incremental_size, args.seed, args.new_days)
        print(
            f"{run['events']:,} events, {run['new_events']:,} new in the last "
            f"{run['new_days']} days (from {run['since']}): first run "
            f"{run['first_seconds']:.1f} s ({run['first_mode']}), incremental "
            f"{run['incremental_seconds']:.1f} s ({run['incremental_mode']}), "
            f"forced full {run['full_seconds']:.1f} s; incremental / full "
            f"{run['incremental_seconds'] / run['full_seconds']:.2f}; peak "
            f"{run['peak_rss_gib']:.2f} GiB"
        )
        for name in ("first", "incremental", "full"):
            steps = run[f"{name}_steps"].items()
            steps = ", ".join(f"{step} {seconds:.2f}" for step, seconds in steps)
            print(f"    {name}: {steps}")
        return 0
    runs = []
    for size in (int(s) for s in args.sizes.split(",") if s):
        runs.append(run_size(size, args.reference, args.seed))
    if runs:
        print_table(runs)
    cases = []
    for size in (int(s) for s in args.case_sizes.split(",") if s):
        cases.append(run_case(size, args.seed))
    if cases:
        print_cases(cases)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"analyze": runs, "cases": cases}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
