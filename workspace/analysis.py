"""Run the analytics on a case and keep identities, findings, risk and triage.

A run is incremental when it can be. The case remembers what the last run
saw: the analytics version, the event count of every source, the triage and
a fingerprint of the directory, the identity links and the settings. When
only new sources were imported since, the run starts at the first day of
their events. Findings before that day stay as stored, and the findings and
risk from that day on are replaced. Because every detector looks only at
earlier days and at the same day of the peer group, this gives what a full
run gives. Any other change (version, directory, links, settings, a source
changed, or triage together with new sources) makes a full run. A run with
no new events only recomputes the risk, which picks up triage. The
baselines still read every event, so an incremental run saves the evidence
and storage work of old days, not the reading.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date

import polars as pl

from analytics.config import AnalyticsConfig
from analytics.events import EVENT_COLUMNS, MESSAGE_PREFIX_CHARS, compact_events
from analytics.pipeline import FINDINGS_SCHEMA, AnalysisResult, analyze
from analytics.risk import RISK_SCHEMA, TRIAGE_STATES, risk_scores
from workspace.case import Workspace, utc_now
from workspace.directory import ensure_analytics_tables, load_directory

logger = logging.getLogger(__name__)

# Rows per Arrow batch when reading events: each batch is compacted before
# the next is read, so the full table never exists with text columns.
LOAD_BATCH_ROWS = 200_000
# Key in the meta table of the state the last analysis run saw.
STATE_KEY = "analysis_state"
# Stored with the run state: a change of the analytics that alters results
# must change this, so that cases analysed before get one full run.
ANALYSIS_VERSION = "3"


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


@dataclass
class AnalysisPlan:
    """The mode of one analysis run and the inputs it read.

    Attributes:
        mode: "full", "incremental" (from `since` on) or "risk" (no new
            events: the risk is recomputed from the stored findings).
        since: first day recomputed in an incremental run.
        mode_reason: one sentence for the investigator on the choice of mode.
        state: the run state to store with the results.
    """

    mode: str
    since: date | None
    mode_reason: str
    state: dict
    config: AnalyticsConfig
    directory: pl.DataFrame | None = None
    triage: pl.DataFrame | None = None
    overrides: pl.DataFrame | None = None
    earlier: pl.DataFrame | None = None


def plan_analysis(
    workspace: Workspace, config: AnalyticsConfig | None = None, full: bool = False
) -> AnalysisPlan:
    """Read the inputs of a run and decide between full, incremental and risk."""
    ensure_analytics_tables(workspace)
    config = config or AnalyticsConfig()
    directory = load_directory(workspace)
    overrides = load_overrides(workspace)
    triage = load_triage(workspace)
    sources = {
        str(source): (int(count), first)
        for source, count, first in workspace.con.execute(
            "SELECT source_id, count(*), min(timestamp)::DATE FROM events "
            "GROUP BY source_id"
        ).fetchall()
    }
    state = {
        "version": ANALYSIS_VERSION,
        "fingerprint": _fingerprint(config, directory, overrides),
        "sources": {source: count for source, (count, _) in sources.items()},
        "triage": _frame_digest(triage),
    }
    previous = _read_state(workspace)
    plan = AnalysisPlan("full", None, "", state, config, directory, triage, overrides)
    if previous is not None and previous.get("last_day"):
        state["last_day"] = previous["last_day"]
    if full:
        plan.mode_reason = "a full run was asked for"
    elif previous is None:
        plan.mode_reason = "the case has no earlier analysis"
    elif previous.get("version") != ANALYSIS_VERSION:
        plan.mode_reason = (
            "this version of Vigil analyses differently from the last run's"
        )
    elif previous.get("fingerprint") != state["fingerprint"]:
        plan.mode_reason = "the directory, identity links or settings changed"
    elif any(
        state["sources"].get(source) != count
        for source, count in previous.get("sources", {}).items()
    ):
        plan.mode_reason = "a source analysed before has changed or is gone"
    else:
        new = [
            first
            for source, (_, first) in sources.items()
            if source not in previous["sources"]
        ]
        if not new:
            plan.mode = "risk"
            plan.mode_reason = "no events were added since the last run"
        elif previous.get("triage") != state["triage"]:
            # Triage reweights findings of every day, so the risk before the
            # new events changes too.
            plan.mode_reason = "findings were triaged since the last run"
        else:
            plan.mode, plan.since = "incremental", min(new)
            plan.mode_reason = (
                f"{len(new)} new source(s) with events from {plan.since} on"
            )
            plan.earlier = workspace.con.execute(
                "SELECT * FROM findings WHERE day < ?", [plan.since]
            ).pl()
    return plan


def compute_analysis(workspace: Workspace, plan: AnalysisPlan) -> AnalysisResult:
    """Run the analytics in the plan's mode, without writing to the case."""
    result = _compute(workspace, plan)
    result.mode, result.mode_reason = plan.mode, plan.mode_reason
    return result


def _compute(workspace: Workspace, plan: AnalysisPlan) -> AnalysisResult:
    if plan.mode == "risk":
        findings = workspace.con.execute("SELECT * FROM findings").pl()
        identities = workspace.con.execute(
            "SELECT account, identity, rule FROM identities"
        ).pl()
        last_day = plan.state.get("last_day")
        if last_day is None:  # a state stored before it kept the last day
            last_day = workspace.con.execute(
                "SELECT max(timestamp)::DATE FROM events"
            ).fetchone()[0]
        else:
            last_day = date.fromisoformat(last_day)
        risk = risk_scores(
            findings.cast(FINDINGS_SCHEMA), last_day, plan.config, plan.triage
        )
        return AnalysisResult(identities, findings.clear(), risk, pl.DataFrame(), {})
    events = load_events(workspace)
    return analyze(
        events,
        plan.directory,
        triage=plan.triage,
        config=plan.config,
        overrides=plan.overrides,
        since=plan.since,
        earlier=plan.earlier,
    )


def run_analysis(
    workspace: Workspace, config: AnalyticsConfig | None = None, full: bool = False
) -> AnalysisResult:
    """Analyse the case, incrementally when it can, and store the results."""
    plan = plan_analysis(workspace, config, full)
    logger.info("analysis run: %s (%s)", plan.mode, plan.mode_reason)
    result = compute_analysis(workspace, plan)
    store_results(workspace, result, plan)
    return result


def _fingerprint(
    config: AnalyticsConfig, directory: pl.DataFrame | None, overrides: pl.DataFrame
) -> str:
    digest = hashlib.sha256()
    digest.update(ANALYSIS_VERSION.encode())
    digest.update(repr(config).encode())
    for frame in (directory, overrides):
        digest.update(_frame_digest(frame).encode())
    return digest.hexdigest()


def _frame_digest(frame: pl.DataFrame | None) -> str:
    if frame is None:
        return ""
    text = frame.sort(frame.columns).write_csv()
    return hashlib.sha256(text.encode()).hexdigest()


def _read_state(workspace: Workspace) -> dict | None:
    row = workspace.con.execute(
        "SELECT value FROM meta WHERE key = ?", [STATE_KEY]
    ).fetchone()
    return json.loads(row[0]) if row else None


def store_results(
    workspace: Workspace, result: AnalysisResult, plan: AnalysisPlan | None = None
) -> None:
    """Store a run's results and state in one transaction.

    A full run replaces identities, findings and risk. An incremental run
    replaces findings and risk from its first day on; a risk run replaces
    the risk only.
    """
    con = workspace.con
    mode = plan.mode if plan is not None else "full"
    since = plan.since if plan is not None else None
    tables = {
        "identities": result.identities.select("account", "identity", "rule"),
        "findings": result.findings.select(FINDINGS_SCHEMA.keys()),
        "risk": result.risk.select(RISK_SCHEMA.keys()),
    }
    if mode == "risk":
        tables = {"risk": tables["risk"]}
    con.execute("BEGIN TRANSACTION")
    try:
        for table, frame in tables.items():
            if since is not None and table != "identities":
                con.execute(f"DELETE FROM {table} WHERE day >= ?", [since])
            else:
                con.execute(f"DELETE FROM {table}")
            con.register("analysis_rows", frame.to_arrow())
            con.execute(f"INSERT INTO {table} SELECT * FROM analysis_rows")
            con.unregister("analysis_rows")
        if plan is not None:
            if result.last_day is not None:
                plan.state["last_day"] = result.last_day.isoformat()
            con.execute("DELETE FROM meta WHERE key = ?", [STATE_KEY])
            con.execute(
                "INSERT INTO meta VALUES (?, ?)", [STATE_KEY, json.dumps(plan.state)]
            )
        detail = {name: frame.height for name, frame in tables.items()}
        detail["mode"] = mode
        if since is not None:
            detail["since"] = since.isoformat()
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
        "SELECT identity, day, score, top_reasons, top_features, level FROM risk "
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
) -> bool:
    """Link `account` to `identity`, or remove its link when `identity` is None.

    The change is written to the audit log and takes effect at the next
    analysis. Returns whether the account had an investigator link before.
    """
    ensure_analytics_tables(workspace)
    account = account.strip().lower()
    con = workspace.con
    existed = con.execute(
        "SELECT count(*) FROM identity_overrides WHERE account = ?", [account]
    ).fetchone()[0]
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
    return bool(existed)
