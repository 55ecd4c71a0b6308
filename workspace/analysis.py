"""Run the analytics on a case and keep identities, findings, risk and triage.

Every run recomputes from all events. The analytics are walk-forward, so a
full run gives the same risk for old days as before, and new events only add
days. A recompute from the first new day would save the feature pass over
older events but not the baselines, which need those events anyway. The benchmark
(scripts/benchmark_analytics.py) measures the full run's time.
"""

from __future__ import annotations

import logging
from datetime import date

import polars as pl

from analytics.config import AnalyticsConfig
from analytics.events import EVENT_COLUMNS, MESSAGE_PREFIX_CHARS, compact_events
from analytics.pipeline import AnalysisResult, analyze
from analytics.risk import TRIAGE_STATES
from workspace.case import Workspace, utc_now
from workspace.directory import ensure_analytics_tables, load_directory

logger = logging.getLogger(__name__)

# Rows per Arrow batch when reading events: each batch is compacted before
# the next is read, so the full table never exists with text columns.
LOAD_BATCH_ROWS = 200_000


class AnalysisError(Exception):
    """Raised for an unknown finding id or triage state."""


def load_events(workspace: Workspace, until: date | None = None) -> pl.DataFrame:
    """Read the event columns the analytics need, optionally up to a day.

    Low-cardinality text columns arrive as categoricals (see
    analytics.events.compact_events), and `message` is cut to its first
    MESSAGE_PREFIX_CHARS characters, because the analytics read no more of
    it, and stored as a categorical.
    """
    columns = [
        f"left(message, {MESSAGE_PREFIX_CHARS}) AS message"
        if name == "message"
        else name
        for name in EVENT_COLUMNS
    ]
    sql = f"SELECT {', '.join(columns)} FROM events"
    params: list = []
    if until is not None:
        sql += " WHERE timestamp < CAST(? AS DATE) + INTERVAL 1 DAY"
        params.append(until)
    reader = workspace.con.execute(sql, params).fetch_record_batch(LOAD_BATCH_ROWS)
    # The cut messages take a handful of values, so they are categorical too.
    short_message = pl.col("message").cast(pl.Categorical())
    batches = [
        compact_events(pl.from_arrow(batch)).with_columns(short_message)
        for batch in reader
    ]
    if not batches:
        return compact_events(workspace.con.execute(sql + " LIMIT 0", params).pl())
    return pl.concat(batches, rechunk=False)


def load_triage(workspace: Workspace) -> pl.DataFrame:
    ensure_analytics_tables(workspace)
    return workspace.con.execute("SELECT finding_id, state FROM triage").pl()


def load_overrides(workspace: Workspace) -> pl.DataFrame:
    ensure_analytics_tables(workspace)
    return workspace.con.execute(
        "SELECT account, identity FROM identity_overrides"
    ).pl()


def run_analysis(
    workspace: Workspace, config: AnalyticsConfig | None = None
) -> AnalysisResult:
    """Analyse all events of the case and replace the stored results."""
    ensure_analytics_tables(workspace)
    result = analyze(
        load_events(workspace),
        load_directory(workspace),
        triage=load_triage(workspace),
        config=config or AnalyticsConfig(),
        overrides=load_overrides(workspace),
    )
    store_results(workspace, result)
    return result


def store_results(workspace: Workspace, result: AnalysisResult) -> None:
    """Replace identities, findings and risk in one transaction."""
    con = workspace.con
    tables = {
        "identities": result.identities.select("account", "identity", "rule"),
        "findings": result.findings.select(
            "finding_id",
            "identity",
            "day",
            "detector",
            "feature",
            "score",
            "reason",
            "event_ids",
        ),
        "risk": result.risk.select(
            "identity", "day", "score", "top_reasons", "top_features"
        ),
    }
    con.execute("BEGIN TRANSACTION")
    try:
        for table, frame in tables.items():
            con.execute(f"DELETE FROM {table}")
            con.register("analysis_rows", frame.to_arrow())
            con.execute(f"INSERT INTO {table} SELECT * FROM analysis_rows")
            con.unregister("analysis_rows")
        detail = {name: frame.height for name, frame in tables.items()}
        workspace.audit("analysis-run", detail, con=con)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    logger.info("stored analysis results %s", detail)


def set_triage(
    workspace: Workspace, finding_id: str, state: str, note: str | None = None
) -> None:
    """Record the investigator's triage state of a finding.

    Raises:
        AnalysisError: for a state outside TRIAGE_STATES or an unknown finding.
    """
    if state not in TRIAGE_STATES:
        raise AnalysisError(
            f"invalid triage state {state!r}; use one of {', '.join(TRIAGE_STATES)}"
        )
    ensure_analytics_tables(workspace)
    con = workspace.con
    found = con.execute(
        "SELECT count(*) FROM findings WHERE finding_id = ?", [finding_id]
    ).fetchone()[0]
    if not found:
        raise AnalysisError(
            f"finding {finding_id!r} not found; run 'vigil analyze' and copy an id"
        )
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM triage WHERE finding_id = ?", [finding_id])
        con.execute(
            "INSERT INTO triage VALUES (?, ?, ?, ?)",
            [finding_id, state, note, utc_now()],
        )
        workspace.audit(
            "finding-triaged",
            {"finding_id": finding_id, "state": state, "note": note},
            con=con,
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def top_risk(workspace: Workspace, day: date | None = None, limit: int = 10):
    """Return the riskiest identities on `day` (default: the last day with risk)."""
    ensure_analytics_tables(workspace)
    con = workspace.con
    if day is None:
        day = con.execute("SELECT max(day) FROM risk").fetchone()[0]
    frame = con.execute(
        "SELECT identity, day, score, top_reasons, top_features FROM risk "
        "WHERE day = ? ORDER BY score DESC, identity LIMIT ?",
        [day, limit],
    ).pl()
    return day, frame


def findings_of(workspace: Workspace, identity: str, day: date) -> pl.DataFrame:
    """Return the findings of one identity up to a day, newest first."""
    return workspace.con.execute(
        "SELECT finding_id, day, feature, score, reason FROM findings "
        "WHERE identity = ? AND day <= ? ORDER BY day DESC, score DESC",
        [identity, day],
    ).pl()


def list_identities(workspace: Workspace, identity: str | None = None) -> pl.DataFrame:
    """Return account, identity and linking rule, optionally for one identity.

    Investigator overrides show the rule ``override`` even before the next
    analysis applies them.
    """
    ensure_analytics_tables(workspace)
    where, params = ("WHERE identity = ?", [identity]) if identity else ("", [])
    return workspace.con.execute(
        "SELECT account, identity, rule FROM ("
        "  SELECT account, identity, 'override' AS rule FROM identity_overrides"
        "  UNION ALL"
        "  SELECT i.account, i.identity, i.rule FROM identities i"
        "  WHERE i.account NOT IN (SELECT account FROM identity_overrides)"
        f") {where} ORDER BY identity, account",
        params,
    ).pl()


def set_identity_override(
    workspace: Workspace, account: str, identity: str | None
) -> None:
    """Link `account` to `identity`, or remove its link when `identity` is None.

    The change is written to the audit log and takes effect at the next
    analysis.
    """
    ensure_analytics_tables(workspace)
    account = account.strip().lower()
    con = workspace.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM identity_overrides WHERE account = ?", [account])
        if identity is not None:
            con.execute(
                "INSERT INTO identity_overrides VALUES (?, ?, ?)",
                [account, identity.strip(), utc_now()],
            )
        workspace.audit(
            "identity-linked" if identity else "identity-unlinked",
            {"account": account, "identity": identity},
            con=con,
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
