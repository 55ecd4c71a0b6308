"""Queries on the stored analysis for the risk view, and case notes.

Everything here reads the identities, findings, risk, triage and directory
tables that `workspace.analysis.store_results` wrote; nothing recomputes a
score. Risk rows exist only for days whose score reached the reporting
floor, so a missing (identity, day) row means a risk below that floor.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from analytics.identity import account_expr
from workspace.case import Workspace, current_actor, utc_now
from workspace.directory import ensure_analytics_tables
from workspace.queries import EventFilter

logger = logging.getLogger(__name__)

FINDING_EVENTS_LIMIT = 1_000


@dataclass(frozen=True)
class AnalysisStatus:
    """Day range of a case and the state of its stored analysis.

    Attributes:
        first_day: day of the first event (UTC), or None for an empty case.
        last_day: day of the last event (UTC), or None for an empty case.
        analysed_at: when the stored results were written, or None.
        findings: number of stored findings.
        identities: number of identities with at least one finding.
        stale: true when a source was imported after the stored analysis.
    """

    first_day: date | None
    last_day: date | None
    analysed_at: datetime | None
    findings: int
    identities: int
    stale: bool


def analysis_status(workspace: Workspace) -> AnalysisStatus:
    """Return the case's day range and the state of its stored analysis."""
    ensure_analytics_tables(workspace)
    con = workspace.con
    first, last = con.execute(
        "SELECT CAST(min(timestamp) AS DATE), CAST(max(timestamp) AS DATE) FROM events"
    ).fetchone()
    analysed_at, imported_at = con.execute(
        "SELECT (SELECT max(ts) FROM audit_log WHERE action = 'analysis-run'), "
        "(SELECT max(imported_at) FROM sources)"
    ).fetchone()
    findings, identities = con.execute(
        "SELECT count(*), count(DISTINCT identity) FROM findings"
    ).fetchone()
    stale = (
        analysed_at is not None
        and imported_at is not None
        and imported_at > analysed_at
    )
    return AnalysisStatus(first, last, analysed_at, findings, identities, stale)


def risky_identities(workspace: Workspace, day: date) -> pl.DataFrame:
    """Return every identity with a risk score on `day`, riskiest first.

    Columns: identity, display_name, department, role (from the directory,
    null when none was imported), score, level (high or medium), top_reasons,
    top_features and findings (the identity's findings up to and including `day`).
    """
    return workspace.con.execute(
        """
        WITH counts AS (
            SELECT identity, count(*) AS findings FROM findings
            WHERE day <= ? GROUP BY identity
        )
        SELECT r.identity, d.display_name, d.department, d.role, r.score, r.level,
               r.top_reasons, r.top_features, coalesce(c.findings, 0) AS findings
        FROM risk r
        LEFT JOIN directory d ON d.user_id = r.identity
        LEFT JOIN counts c ON c.identity = r.identity
        WHERE r.day = ?
        ORDER BY r.score DESC, r.identity
        """,
        [day, day],
    ).pl()


def identity_findings(workspace: Workspace, identity: str, day: date) -> pl.DataFrame:
    """Return an identity's findings up to `day`, newest first, with triage.

    Columns: finding_id, day, detector, feature, score, reason, events (the
    number of event ids), state and note (null when not triaged).
    """
    return workspace.con.execute(
        """
        SELECT f.finding_id, f.day, f.detector, f.feature, f.score, f.reason,
               len(f.event_ids) AS events, t.state, t.note
        FROM findings f LEFT JOIN triage t ON t.finding_id = f.finding_id
        WHERE f.identity = ? AND f.day <= ?
        ORDER BY f.day DESC, f.score DESC, f.finding_id
        """,
        [identity, day],
    ).pl()


def finding_events(
    workspace: Workspace, finding_id: str, limit: int = FINDING_EVENTS_LIMIT
) -> tuple[pl.DataFrame, int]:
    """Return the first `limit` events of a finding in time order, and their total.

    The total counts the finding's event ids; an id whose event is no longer
    in the case is counted but not returned.
    """
    con = workspace.con
    total = con.execute(
        "SELECT coalesce(len(event_ids), 0) FROM findings WHERE finding_id = ?",
        [finding_id],
    ).fetchone()
    frame = con.execute(
        """
        SELECT e.event_id, e.timestamp, e.user_name, e.event_action,
               e.event_outcome, e.host_name, e.object, e.message
        FROM (SELECT unnest(event_ids) AS event_id FROM findings
              WHERE finding_id = ?) f
        JOIN events e ON e.event_id = f.event_id
        ORDER BY e.timestamp, e.event_id
        LIMIT ?
        """,
        [finding_id, int(limit)],
    ).pl()
    return frame, total[0] if total else 0


def finding_days(workspace: Workspace, identity: str) -> list[date]:
    """Return the days on which `identity` has findings, in order."""
    rows = workspace.con.execute(
        "SELECT DISTINCT day FROM findings WHERE identity = ? ORDER BY day",
        [identity],
    ).fetchall()
    return [row[0] for row in rows]


def identity_user_names(workspace: Workspace, identity: str) -> list[str]:
    """Return the event user names whose account belongs to `identity`.

    The account of an event is built by analytics.identity.account_expr, the
    same rule the analysis used, and looked up in the identities table.

    NOTE: EventFilter matches user_name only, so filtering events by these
    names also shows a same-named account of another domain that belongs to
    a different identity.
    """
    con = workspace.con
    accounts = [
        row[0]
        for row in con.execute(
            "SELECT account FROM identities WHERE identity = ?", [identity]
        ).fetchall()
    ]
    if not accounts:
        return []
    # An account is either the lower-cased user name or "domain\name", so
    # these candidates narrow the scan before the exact account match.
    candidates = sorted({a.split("\\", 1)[-1] for a in accounts} | set(accounts))
    pairs = con.execute(
        "SELECT DISTINCT user_name, user_domain FROM events "
        "WHERE lower(trim(user_name)) IN "
        f"({', '.join('?' for _ in candidates)})",
        candidates,
    ).pl()
    matched = pairs.filter(account_expr().is_in(accounts))
    return sorted(set(matched.get_column("user_name").to_list()))


def identity_timeline(
    workspace: Workspace,
    identity: str,
    user_names: list[str],
    first_day: date,
    last_day: date,
) -> pl.DataFrame:
    """Return one row per day from first_day to last_day: day, risk, events.

    `risk` is the stored score (0 where no row reached the reporting floor)
    and `events` counts the events of `user_names` that day (UTC).
    """
    event_filter = EventFilter(
        users=tuple(user_names) or ("",),
        start=datetime.combine(first_day, datetime.min.time()),
        end=datetime.combine(last_day + timedelta(days=1), datetime.min.time()),
    )
    where, params = event_filter.where()
    return workspace.con.execute(
        f"""
        WITH days AS (
            SELECT CAST(d AS DATE) AS day
            FROM generate_series(CAST(? AS DATE), CAST(? AS DATE), INTERVAL 1 DAY)
                AS t(d)
        ),
        scores AS (SELECT day, score FROM risk WHERE identity = ?),
        counts AS (
            SELECT CAST(timestamp AS DATE) AS day, count(*) AS events
            FROM events {where} GROUP BY 1
        )
        SELECT days.day, coalesce(scores.score, 0.0) AS risk,
               coalesce(counts.events, 0) AS events
        FROM days
        LEFT JOIN scores ON scores.day = days.day
        LEFT JOIN counts ON counts.day = days.day
        ORDER BY days.day
        """,
        [first_day, last_day, identity, *params],
    ).pl()


def add_note(
    workspace: Workspace,
    body: str,
    subject: str | None = None,
    event_id: str | None = None,
) -> int:
    """Store a case note and its audit entry in one transaction; return its id.

    Raises:
        ValueError: when `body` is empty or only white space.
    """
    text = body.strip()
    if not text:
        raise ValueError("the note is empty; write the note text first")
    subject = (subject or "").strip() or None
    con = workspace.con
    con.execute("BEGIN TRANSACTION")
    try:
        note_id = con.execute("SELECT nextval('note_ids')").fetchone()[0]
        con.execute(
            "INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?)",
            [note_id, utc_now(), current_actor(), event_id, subject, text],
        )
        detail = {
            "note_id": note_id,
            "event_id": event_id,
            "subject": subject,
            "body": text,
        }
        workspace.audit("note-added", detail, con=con)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    logger.info("stored note %s", note_id)
    return note_id


def list_notes(workspace: Workspace) -> pl.DataFrame:
    """Return every case note, newest first."""
    return workspace.con.execute(
        "SELECT note_id, created, author, event_id, subject, body FROM notes "
        "ORDER BY created DESC, note_id DESC"
    ).pl()
