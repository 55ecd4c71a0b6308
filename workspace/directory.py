"""Import of an HR or identity directory export (CSV) into a case."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import polars as pl

from importers.base import SourceError
from workspace.case import Workspace
from workspace.schema import ANALYTICS_DDL

logger = logging.getLogger(__name__)

DIRECTORY_COLUMNS = (
    "user_id",
    "display_name",
    "email",
    "department",
    "role",
    "manager",
    "start_date",
    "end_date",
    "watch_list",
    "accounts",
)


# A directory must have at least one of these, or it links and groups no one.
DESCRIBING_COLUMNS = ("email", "accounts", "department", "role")


def ensure_analytics_tables(workspace: Workspace) -> None:
    """Create the directory, identity, findings, risk and triage tables if missing.

    A case opened read-only that already has the tables is left untouched.
    """
    con = workspace.con
    present = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'triage'"
    ).fetchone()[0]
    if not present:
        for statement in ANALYTICS_DDL:
            con.execute(statement)
        return
    # Cases analysed before risk levels existed get the column; their rows
    # stay null until the next analysis.
    has_level = con.execute(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'risk' AND column_name = 'level'"
    ).fetchone()[0]
    if not has_level:
        try:
            con.execute("ALTER TABLE risk ADD COLUMN level VARCHAR")
        except duckdb.Error as exc:  # a case opened read-only
            logger.info("risk table has no level column: %s", exc)


def read_directory_csv(path: Path) -> pl.DataFrame:
    """Read a directory CSV into the `directory` table's columns.

    Raises:
        SourceError: when the file cannot be read, has no user_id column,
            has none of the columns that describe people (email, accounts,
            department, role), or a start_date or end_date is not an ISO
            date (YYYY-MM-DD).
    """
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SourceError(f"{path}: cannot read the directory CSV ({exc})") from exc
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    if "user_id" not in frame.columns:
        raise SourceError(
            f"{path}: missing column user_id; found {', '.join(frame.columns)}"
        )
    describing = [c for c in DESCRIBING_COLUMNS if c in frame.columns]
    if not describing:
        raise SourceError(
            f"{path}: not a directory export: it has none of the columns "
            f"{', '.join(DESCRIBING_COLUMNS)}; found {', '.join(frame.columns)}"
        )
    columns = []
    for name in DIRECTORY_COLUMNS:
        present = name in frame.columns
        text = pl.col(name).str.strip_chars() if present else pl.lit(None, pl.String)
        text = pl.when(text == "").then(None).otherwise(text)
        if name in ("start_date", "end_date"):
            columns.append(text.str.to_date("%Y-%m-%d", strict=False).alias(name))
            columns.append(text.alias(f"_{name}_text"))
        elif name == "watch_list":
            truthy = text.str.to_lowercase().is_in(["1", "true", "yes", "y"])
            columns.append(truthy.alias(name))
        elif name == "user_id":
            columns.append(text.str.to_lowercase().alias(name))
        else:
            columns.append(text.cast(pl.String).alias(name))
    parsed = frame.select(columns)
    for name in ("start_date", "end_date"):
        bad = parsed.filter(
            pl.col(name).is_null() & pl.col(f"_{name}_text").is_not_null()
        )
        if bad.height:
            value = bad[f"_{name}_text"][0]
            raise SourceError(
                f"{path}: invalid {name} {value!r} for {bad['user_id'][0]}; "
                "write dates as YYYY-MM-DD"
            )
    parsed = parsed.filter(pl.col("user_id").is_not_null())
    return parsed.select(DIRECTORY_COLUMNS).unique("user_id", keep="last")


def import_directory(workspace: Workspace, path: Path) -> int:
    """Replace the case's directory with the CSV's rows; return the row count."""
    frame = read_directory_csv(Path(path))
    ensure_analytics_tables(workspace)
    con = workspace.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM directory")
        con.register("directory_rows", frame.to_arrow())
        con.execute(
            f"INSERT INTO directory SELECT {', '.join(DIRECTORY_COLUMNS)} "
            "FROM directory_rows"
        )
        con.unregister("directory_rows")
        workspace.audit(
            "directory-imported", {"path": str(path), "rows": frame.height}, con=con
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    logger.info("imported %s directory rows from %s", frame.height, path)
    return frame.height


def load_directory(workspace: Workspace) -> pl.DataFrame | None:
    """Return the case's directory, or None when none was imported."""
    ensure_analytics_tables(workspace)
    frame = workspace.con.execute("SELECT * FROM directory").pl()
    return frame if frame.height else None
