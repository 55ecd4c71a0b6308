"""A case workspace: one folder holding one DuckDB file and its exports."""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from workspace.schema import DDL, SCHEMA_VERSION

logger = logging.getLogger(__name__)

DB_NAME = "case.duckdb"
GENESIS_HASH = "0" * 64


class CaseError(Exception):
    """Raised when a case folder is missing, invalid or of another version."""


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Workspace:
    """An open case. Owns the DuckDB connection; other threads use `cursor()`."""

    def __init__(self, root: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.root = root
        self.con = con

    @classmethod
    def create(cls, root: Path | str, name: str | None = None) -> Workspace:
        """Create a new case folder with an empty database.

        Raises CaseError if the folder already contains a case, or is a
        non-empty folder without one.
        """
        root = Path(root)
        db_path = root / DB_NAME
        if db_path.exists():
            raise CaseError(f"{root}: a case already exists here; open it instead")
        if root.exists() and not root.is_dir():
            raise CaseError(
                f"{root}: is a file, not a folder; choose a new case folder"
            )
        if root.is_dir() and any(root.iterdir()):
            raise CaseError(
                f"{root}: folder is not empty and contains no case; choose a new "
                "or empty folder so that a case never mixes with evidence files"
            )
        root.mkdir(parents=True, exist_ok=True)
        (root / "exports").mkdir(exist_ok=True)
        con = _connect(db_path)
        con.execute("BEGIN TRANSACTION")
        for statement in DDL:
            con.execute(statement)
        meta = {
            "schema_version": str(SCHEMA_VERSION),
            "case_name": name or root.name.removesuffix(".vigil"),
            "created": utc_now().isoformat(timespec="seconds"),
        }
        con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
        con.execute("COMMIT")
        workspace = cls(root, con)
        workspace.audit("case-created", {"name": meta["case_name"]})
        logger.info("created case %s", root)
        return workspace

    @classmethod
    def open(cls, root: Path | str, read_only: bool = False) -> Workspace:
        """Open an existing case, checking its schema version.

        Raises CaseError when the folder contains no case, another process has
        it open, or its schema version differs.
        """
        root = Path(root)
        db_path = root / DB_NAME
        if root.is_file():
            raise CaseError(f"{root}: is a file, not a case folder")
        if not db_path.is_file():
            raise CaseError(
                f"{root}: no case found (missing {DB_NAME}); "
                "create one with 'vigil new'"
            )
        try:
            con = _connect(db_path, read_only=read_only)
        except duckdb.IOException as exc:
            raise CaseError(
                f"{db_path}: cannot open the case: it is open in another Vigil "
                f"process or not writable ({exc})"
            ) from exc
        try:
            row = con.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except duckdb.Error as exc:
            con.close()
            raise CaseError(f"{db_path}: not a Vigil case database ({exc})") from exc
        version = int(row[0]) if row else 0
        if version != SCHEMA_VERSION:
            con.close()
            raise CaseError(
                f"{db_path}: schema version {version}, this Vigil reads version "
                f"{SCHEMA_VERSION}; open it with a matching Vigil release"
            )
        return cls(root, con)

    @property
    def name(self) -> str:
        return self.meta().get("case_name", self.root.name)

    def meta(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT key, value FROM meta").fetchall())

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Return a new connection to this database, for use by another thread."""
        cursor = self.con.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        return cursor

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Investigator action log -------------------------------------------------

    def audit(
        self,
        action: str,
        detail: dict | None = None,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        """Append a hash-chained entry to the investigator action log.

        Pass `con` to write inside a transaction open on that connection.
        """
        con = con or self.con
        row = con.execute(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        seq, prev_hash = (row[0] + 1, row[1]) if row else (1, GENESIS_HASH)
        ts = utc_now()
        actor = current_actor()
        body = json.dumps(detail or {}, sort_keys=True, default=str)
        digest = chain_hash(prev_hash, seq, ts, actor, action, body)
        con.execute(
            "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)",
            [seq, ts, actor, action, body, prev_hash, digest],
        )

    def verify_audit_log(self) -> list[int]:
        """Return the sequence numbers whose hash does not match the chain."""
        rows = self.con.execute(
            "SELECT seq, ts, actor, action, detail, prev_hash, hash "
            "FROM audit_log ORDER BY seq"
        ).fetchall()
        broken = []
        previous = GENESIS_HASH
        for seq, ts, actor, action, detail, prev_hash, digest in rows:
            expected = chain_hash(previous, seq, ts, actor, action, detail)
            if prev_hash != previous or digest != expected:
                broken.append(seq)
            previous = digest
        return broken

    # Queries used by the CLI and the views -------------------------------------

    def sources(self) -> pl.DataFrame:
        return self.con.execute("SELECT * FROM sources ORDER BY source_id").pl()

    def summary(self) -> dict:
        """Counts and time range of the case, for `vigil info` and the window."""
        events, first, last, users, hosts = self.con.execute(
            "SELECT count(*), min(timestamp), max(timestamp), "
            "count(DISTINCT user_name), count(DISTINCT host_name) FROM events"
        ).fetchone()
        sources, quarantined = self.con.execute(
            "SELECT (SELECT count(*) FROM sources), (SELECT count(*) FROM quarantine)"
        ).fetchone()
        return {
            "case": self.name,
            "path": str(self.root),
            "sources": sources,
            "events": events,
            "quarantined": quarantined,
            "first": first,
            "last": last,
            "users": users,
            "hosts": hosts,
        }

    def event(self, event_id: str) -> dict | None:
        cursor = self.con.execute(
            "SELECT e.*, s.name AS source_name, s.sha256 AS source_sha256 "
            "FROM events e JOIN sources s USING (source_id) WHERE event_id = ?",
            [event_id],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        names = [d[0] for d in cursor.description]
        return dict(zip(names, row, strict=True))


def chain_hash(
    prev_hash: str, seq: int, ts: datetime, actor: str, action: str, detail: str
) -> str:
    text = "\x1f".join(
        [prev_hash, str(seq), ts.isoformat(), actor or "", action, detail or ""]
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def current_actor() -> str:
    """Return the operating-system account of the investigator, for the logs."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=read_only)
    # Naive TIMESTAMP columns hold UTC; pin the session zone so that nothing
    # the machine's zone does can shift them.
    con.execute("SET TimeZone = 'UTC'")
    # Long queries would otherwise draw a progress bar on standard output,
    # which is the CLI's output (and a worker's output in the window).
    con.execute("SET enable_progress_bar = false")
    return con
