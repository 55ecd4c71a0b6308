"""Atomic import of log files into a case.

Each file is imported in one DuckDB transaction: a failure, a cancel or a
killed process leaves the case as it was. An event id joins a prefix of the
source file's SHA-256 with the record reference, so importing the same bytes
again adds nothing and the skipped records are counted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

import importers  # noqa: F401  (registers the importers)
from importers import registry
from importers.base import (
    EVENT_SCHEMA,
    QUARANTINE_SCHEMA,
    Importer,
    ImportOptions,
    ImportReport,
    SourceError,
    SourceFile,
    conform,
)
from workspace.case import DB_NAME, Workspace, utc_now

logger = logging.getLogger(__name__)

IMPORTER_VERSION = "1"
# Characters of the source file's SHA-256 that prefix each event id.
EVENT_ID_SHA_CHARS = 16
_HASH_CHUNK = 1 << 20
_EVENT_COLUMNS = ", ".join(EVENT_SCHEMA)

# (fraction of the current file, file index, file count, events so far)
ProgressCallback = Callable[[float, int, int, int], None]


class ImportCancelled(Exception):
    """Raised inside an import when the investigator cancels it."""


@dataclass(frozen=True)
class FileResult:
    """The outcome of importing one file: its report, or the error."""

    path: Path
    report: ImportReport | None
    error: str | None = None
    skipped: bool = False


def event_id(sha256: str, record_ref: str) -> str:
    """Build the event id of a record: file SHA-256 prefix, a colon, its reference.

    The workspace builds the same text in SQL on import. It is stable across
    imports and machines, and names the record it came from.
    """
    return f"{sha256[:EVENT_ID_SHA_CHARS]}:{record_ref}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def expand_paths(paths: Iterable[Path | str]) -> tuple[list[Path], list[FileResult]]:
    """List the files named, walking folders in sorted order.

    Inside a folder, hidden files and folders (name starting with ".") and
    the files of a case folder are passed over; they come back as skipped
    results so that the caller can say so. Files named directly are always
    listed.

    Raises SourceError when a path does not exist.
    """
    files: list[Path] = []
    skipped: list[FileResult] = []
    for path in map(Path, paths):
        if path.is_file():
            files.append(path)
            continue
        if not path.is_dir():
            raise SourceError(f"{path}: file or folder not found")
        case_dirs = {db.parent for db in path.rglob(DB_NAME)}
        for candidate in sorted(path.rglob("*")):
            if not candidate.is_file():
                continue
            relative = candidate.relative_to(path)
            if any(part.startswith(".") for part in relative.parts):
                skipped.append(FileResult(candidate, None, "hidden file", True))
            elif any(parent in case_dirs for parent in candidate.parents):
                skipped.append(FileResult(candidate, None, "part of a case", True))
            else:
                files.append(candidate)
    return files, skipped


def import_paths(
    workspace: Workspace,
    paths: Iterable[Path | str],
    options: ImportOptions | None = None,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[FileResult]:
    """Import files and folders one file at a time, each file atomically.

    A file that fails is reported and the next one is imported. A cancel
    rolls back the file in progress and stops; files already imported stay.
    """
    options = options or ImportOptions()
    files, results = expand_paths(paths)
    for index, path in enumerate(files):

        def file_progress(fraction: float, events: int, index: int = index) -> None:
            if progress is not None:
                progress(fraction, index, len(files), events)

        try:
            report = import_file(
                workspace, path, options, file_progress, cancelled, con=con
            )
        except ImportCancelled:
            results.append(FileResult(path, None, "cancelled"))
            break
        except SourceError as exc:
            results.append(FileResult(path, None, str(exc)))
            continue
        results.append(FileResult(path, report))
    return results


def import_file(
    workspace: Workspace,
    path: Path | str,
    options: ImportOptions | None = None,
    progress: Callable[[float, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> ImportReport:
    """Import one file in a single transaction and return its report.

    Raises:
        SourceError: the file cannot be read or no importer recognises it;
            the case is unchanged.
        ImportCancelled: `cancelled` returned true; the case is unchanged.
    """
    options = options or ImportOptions()
    path = Path(path)
    con = con or workspace.con
    source = SourceFile(path)
    importer = (
        registry.get(options.format) if options.format else registry.detect(source)
    )
    report = ImportReport(path=str(path), format=importer.name)
    report.sha256 = file_sha256(path)
    logger.info("importing %s as %s", path, importer.name)

    con.execute("BEGIN TRANSACTION")
    try:
        _run_import(
            con, workspace, source, importer, options, report, progress, cancelled
        )
    except BaseException as exc:
        con.execute("ROLLBACK")
        source.close()
        if isinstance(exc, (SourceError, ImportCancelled)):
            logger.info("import of %s rolled back: %s", path, exc)
            raise
        if isinstance(exc, Exception):
            logger.exception("import of %s failed", path)
            raise SourceError(f"{path}: import failed: {exc}") from exc
        raise
    con.execute("COMMIT")
    source.close()
    return report


def _run_import(
    con: duckdb.DuckDBPyConnection,
    workspace: Workspace,
    source: SourceFile,
    importer: Importer,
    options: ImportOptions,
    report: ImportReport,
    progress: Callable[[float, int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> None:
    source_id = con.execute("SELECT nextval('source_ids')").fetchone()[0]
    earlier = [
        row[0]
        for row in con.execute(
            "SELECT source_id FROM sources WHERE sha256 = ?", [report.sha256]
        ).fetchall()
    ]
    for batch in _checked(importer.parse(source, options, report), cancelled):
        if batch.events is not None and batch.events.height:
            _insert_events(con, batch.events, source_id, report, earlier)
        if batch.quarantine is not None and batch.quarantine.height:
            _insert_quarantine(con, batch.quarantine, source_id, report, earlier)
        if progress is not None:
            progress(source.fraction_read(), report.events)
    if cancelled is not None and cancelled():
        raise ImportCancelled(str(source.path))

    report.source_id = source_id
    if source.truncation:
        report.partial_at = report.partial_at or source.truncation
        if not any(source.truncation in note for note in report.notes):
            report.note(source.truncation)
    if report.partial_at:
        report.status = "partial"
    elif report.events == 0 and report.duplicates == 0 and report.quarantined:
        report.status = "empty"
    first, last = con.execute(
        "SELECT min(timestamp), max(timestamp) FROM events WHERE source_id = ?",
        [source_id],
    ).fetchone()
    report.first = first.isoformat() if first else None
    report.last = last.isoformat() if last else None
    if earlier:
        report.note(
            f"same content (SHA-256) as source {', '.join(map(str, earlier))}; "
            f"{report.duplicates} records already in the case were skipped"
        )
    con.execute(
        "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source_id,
            str(source.path.resolve()),
            source.path.name,
            source.size,
            report.sha256,
            report.format,
            IMPORTER_VERSION,
            utc_now(),
            report.status,
            report.events,
            report.quarantined,
            report.duplicates,
            first,
            last,
            report.to_json(),
        ],
    )
    workspace.audit(
        "import",
        {
            "source_id": source_id,
            "path": str(source.path),
            "sha256": report.sha256,
            "format": report.format,
            "events": report.events,
            "quarantined": report.quarantined,
            "duplicates": report.duplicates,
            "status": report.status,
        },
        con=con,
    )


def _checked(batches: Iterator, cancelled: Callable[[], bool] | None) -> Iterator:
    for batch in batches:
        if cancelled is not None and cancelled():
            raise ImportCancelled("import cancelled")
        yield batch


def _insert_events(
    con: duckdb.DuckDBPyConnection,
    events: pl.DataFrame,
    source_id: int,
    report: ImportReport,
    earlier: list[int],
) -> None:
    frame = conform(events, EVENT_SCHEMA)
    missing_time = frame.filter(pl.col("timestamp").is_null())
    if missing_time.height:
        # An importer must quarantine what it cannot date; this guards the
        # NOT NULL column and keeps the record instead of failing the file.
        _insert_quarantine(
            con,
            missing_time.select(
                "record_ref",
                pl.col("original").alias("raw"),
                pl.lit("no timestamp could be read").alias("error"),
            ),
            source_id,
            report,
            [],
        )
        frame = frame.filter(pl.col("timestamp").is_not_null())
    con.register("incoming_events", frame.to_arrow())
    try:
        sha = report.sha256[:EVENT_ID_SHA_CHARS]
        select = (
            f"SELECT ? || ':' || record_ref AS event_id, "
            f"? AS source_id, {_EVENT_COLUMNS} FROM incoming_events"
        )
        params: list = [sha, source_id]
        if earlier:
            placeholders = ", ".join("?" for _ in earlier)
            select = (
                f"SELECT * FROM ({select}) AS fresh WHERE NOT EXISTS ("
                f"SELECT 1 FROM events old WHERE old.source_id IN ({placeholders}) "
                "AND old.event_id = fresh.event_id)"
            )
            params += earlier
        before = report.events
        inserted = con.execute(
            f"INSERT INTO events (event_id, source_id, {_EVENT_COLUMNS}) {select}",
            params,
        ).fetchone()[0]
        report.events = before + inserted
        report.duplicates += frame.height - inserted
    finally:
        con.unregister("incoming_events")


def _insert_quarantine(
    con: duckdb.DuckDBPyConnection,
    rows: pl.DataFrame,
    source_id: int,
    report: ImportReport,
    earlier: list[int],
) -> None:
    frame = conform(rows, QUARANTINE_SCHEMA)
    con.register("incoming_quarantine", frame.to_arrow())
    try:
        select = (
            "SELECT ? AS source_id, record_ref, raw, error FROM incoming_quarantine"
        )
        params: list = [source_id]
        if earlier:
            placeholders = ", ".join("?" for _ in earlier)
            select += (
                " AS fresh WHERE NOT EXISTS (SELECT 1 FROM quarantine old "
                f"WHERE old.source_id IN ({placeholders}) "
                "AND old.record_ref = fresh.record_ref)"
            )
            params += earlier
        inserted = con.execute(f"INSERT INTO quarantine {select}", params).fetchone()[0]
        report.quarantined += inserted
        for error in frame.get_column("error").unique().head(5).to_list():
            if len(report.errors) < 20 and error not in report.errors:
                report.errors.append(error)
    finally:
        con.unregister("incoming_quarantine")
