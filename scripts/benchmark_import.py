"""Benchmark imports against DuckDB's own readers, in one process.

For each format the script writes a seeded file, loads it once with a plain
DuckDB reader into a table (the reference: raw ingest speed of this machine
right now) and once through Vigil's importer into a new case. It prints both
times and their ratio. Absolute times on a shared machine are noise; the
ratio is the number to compare between versions.

Usage: python scripts/benchmark_import.py [--rows 1000000] [--formats csv,web]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from importers.base import ImportOptions
from workspace import Workspace
from workspace.importing import import_file

SEED = 20241204
BASE_EPOCH_S = 1_704_067_200  # 2024-01-01T00:00:00Z


def _columns(rows: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    return {
        "seconds": BASE_EPOCH_S + np.sort(rng.integers(0, 90 * 86_400, rows)),
        "user": rng.integers(0, 2_000, rows),
        "host": rng.integers(0, 500, rows),
        "ip": rng.integers(1, 250, rows),
        "object": rng.integers(0, 100_000, rows),
        "bytes": rng.integers(0, 5_000_000, rows),
    }


def _frame(rows: int) -> pl.DataFrame:
    cols = _columns(rows)
    return pl.DataFrame(cols).with_columns(
        time=pl.from_epoch("seconds", time_unit="s"),
        user="user" + pl.col("user").cast(pl.String),
        host="ws" + pl.col("host").cast(pl.String),
        ip="10.1.0." + pl.col("ip").cast(pl.String),
        object="/share/docs/file" + pl.col("object").cast(pl.String) + ".docx",
    )


def write_csv(path: Path, rows: int) -> None:
    _frame(rows).select(
        timestamp=pl.col("time").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        user="user",
        action=pl.lit("download"),
        host="host",
        ip="ip",
        object="object",
        bytes="bytes",
    ).write_csv(path)


def write_jsonl(path: Path, rows: int) -> None:
    _frame(rows).select(
        time=pl.col("time").dt.strftime("%Y-%m-%dT%H:%M:%S+01:00"),
        user="user",
        operation=pl.lit("FileDownloaded"),
        clientIp="ip",
        object="object",
    ).write_ndjson(path)


def write_web(path: Path, rows: int) -> None:
    lines = _frame(rows).select(
        pl.concat_str(
            pl.col("ip"),
            pl.lit(" - "),
            pl.col("user"),
            pl.lit(" ["),
            pl.col("time").dt.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            pl.lit('] "GET '),
            pl.col("object"),
            pl.lit(' HTTP/1.1" 200 '),
            pl.col("bytes").cast(pl.String),
            pl.lit(' "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"'),
        ).alias("line")
    )
    path.write_text("\n".join(lines["line"].to_list()) + "\n", encoding="utf-8")


def write_auth(path: Path, rows: int) -> None:
    lines = _frame(rows).select(
        pl.concat_str(
            pl.col("time").dt.strftime("%b %d %H:%M:%S"),
            pl.lit(" srv01 sshd["),
            (pl.col("bytes") % 30000).cast(pl.String),
            pl.lit("]: Accepted publickey for "),
            pl.col("user"),
            pl.lit(" from "),
            pl.col("ip"),
            pl.lit(" port 51234 ssh2"),
        ).alias("line")
    )
    path.write_text("\n".join(lines["line"].to_list()) + "\n", encoding="utf-8")


def reference_csv(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(
        f"CREATE TABLE ref AS SELECT * FROM read_csv('{path}', all_varchar=true)"
    )


def reference_json(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(
        "CREATE TABLE ref AS SELECT * FROM "
        f"read_json('{path}', format='newline_delimited')"
    )


def reference_lines(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(
        "CREATE TABLE ref AS SELECT * FROM read_csv("
        f"'{path}', columns={{'line': 'VARCHAR'}}, delim=chr(1), quote='', "
        "header=false)"
    )


FORMATS: dict[str, tuple[str, Callable, Callable]] = {
    "csv": ("bench.csv", write_csv, reference_csv),
    "jsonl": ("bench.jsonl", write_jsonl, reference_json),
    "web": ("access.log", write_web, reference_lines),
    "auth": ("auth.log", write_auth, reference_lines),
}


def run_one(folder: Path, name: str, rows: int) -> dict:
    file_name, writer, reference = FORMATS[name]
    path = folder / file_name
    writer(path, rows)

    ref_db = folder / f"ref-{name}.duckdb"
    con = duckdb.connect(str(ref_db))
    started = time.perf_counter()
    reference(con, path)
    ref_seconds = time.perf_counter() - started
    con.close()

    case_dir = folder / f"{name}.vigil"
    with Workspace.create(case_dir) as workspace:
        started = time.perf_counter()
        report = import_file(workspace, path, ImportOptions(year=2024))
        seconds = time.perf_counter() - started
    return {
        "format": report.format,
        "rows": rows,
        "events": report.events,
        "quarantined": report.quarantined,
        "reference_s": ref_seconds,
        "vigil_s": seconds,
        "events_per_s": report.events / seconds,
        "ratio": seconds / ref_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="lines per file")
    parser.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help="comma-separated: csv,jsonl,web,auth",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vigil-bench-"))
    try:
        print(
            f"{'format':12} {'rows':>9} {'events':>9} {'quar.':>6} "
            f"{'DuckDB s':>9} {'Vigil s':>8} {'events/s':>9} {'ratio':>6}"
        )
        for name in args.formats.split(","):
            row = run_one(folder, name.strip(), args.rows)
            print(
                f"{row['format']:12} {row['rows']:>9} {row['events']:>9} "
                f"{row['quarantined']:>6} {row['reference_s']:>9.2f} "
                f"{row['vigil_s']:>8.2f} {row['events_per_s']:>9.0f} "
                f"{row['ratio']:>6.1f}"
            )
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {peak_mib:.0f} MiB")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
