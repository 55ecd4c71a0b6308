"""The selected identity in the risk view: findings, timeline, events and triage.

IdentityDetail owns the three widgets that follow the identity selected in
the risk table and runs their queries. The risk view places the widgets.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from PySide6.QtCore import QObject, Signal

from app.gui.background import CaseSession
from app.gui.case_writer import CaseWriter
from app.gui.findings import FindingEventsPanel, FindingsPanel
from app.gui.timeline import TimelinePanel
from workspace import Workspace
from workspace.analysis import set_triage
from workspace.risk_queries import (
    finding_days,
    finding_events,
    identity_findings,
    identity_timeline,
    identity_user_names,
)


class IdentityDetail(QObject):
    """Findings, risk timeline and finding events of the selected identity."""

    sig_findings_loaded = Signal(int)
    """Emitted with the number of findings shown for the selected identity."""

    sig_timeline_loaded = Signal()
    """Emitted after the selected identity's timeline is drawn."""

    sig_finding_events_loaded = Signal(int)
    """Emitted with the number of events shown for the selected finding."""

    sig_identity_users = Signal(str, list)
    """Emitted with (identity, its event user names); ("", []) when cleared."""

    sig_triage_saved = Signal(str, str)
    """Emitted with (finding id, state) once a triage is stored."""

    sig_message = Signal(str)
    """Emitted with a line for the status bar."""

    def __init__(self, writer: CaseWriter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session: CaseSession | None = None
        self.writer = writer
        self.identity: str | None = None
        self.day: date | None = None
        self._days: tuple[date, date] | None = None
        self._writes_allowed = True
        self.findings = FindingsPanel()
        self.timeline = TimelinePanel()
        self.finding_events = FindingEventsPanel()
        self.findings.sig_finding_selected.connect(self._on_finding_selected)
        self.findings.sig_triage_requested.connect(self.triage)

    def set_session(self, session: CaseSession | None) -> None:
        self.session = session
        self._days = None
        self.show_identity(None)

    def set_case_days(self, first: date, last: date) -> None:
        """Set the days the timeline spans (the case's first to last day)."""
        self._days = (first, last)
        self.timeline.set_days(first, last)

    def set_as_of(self, day: date) -> None:
        """Move the as-of line and reload the findings up to `day`."""
        self.day = day
        self.timeline.set_as_of(day)
        if self.identity is not None:
            self._load_findings(self.identity)

    def show_identity(self, identity: str | None) -> None:
        """Load the findings and timeline of `identity`, or clear them for None."""
        self.identity = identity
        self.finding_events.clear()
        if identity is None:
            if self.session is not None:
                for key in ("risk-findings", "risk-timeline", "risk-finding-events"):
                    self.session.runner.discard(key)
            self.findings.clear()
            self.timeline.clear()
            self.sig_identity_users.emit("", [])
            return
        self._load_findings(identity)
        self._load_timeline(identity)

    def set_writes_allowed(self, allowed: bool) -> None:
        """Allow triage only while no analysis is replacing the findings."""
        self._writes_allowed = allowed
        self.findings.set_writes_allowed(allowed)

    # Queries ----------------------------------------------------------------------

    def _load_findings(self, identity: str) -> None:
        day = self.day
        if self.session is None or day is None:
            return
        self.session.query(
            "risk-findings",
            lambda workspace: identity_findings(workspace, identity, day),
            lambda frame: self._on_findings(identity, day, frame),
        )

    def _on_findings(self, identity: str, day: date, findings: pl.DataFrame) -> None:
        self.findings.show_findings(
            f"Findings of {identity} up to {day}: {findings.height:,}", findings
        )
        self.sig_findings_loaded.emit(findings.height)

    def _load_timeline(self, identity: str) -> None:
        if self.session is None or self._days is None:
            return
        first, last = self._days

        def load(workspace: Workspace):
            users = identity_user_names(workspace, identity)
            timeline = identity_timeline(workspace, identity, users, first, last)
            return users, timeline, finding_days(workspace, identity)

        self.session.query(
            "risk-timeline", load, lambda result: self._on_timeline(identity, *result)
        )

    def _on_timeline(
        self, identity: str, users: list[str], timeline: pl.DataFrame, days: list
    ) -> None:
        accounts = ", ".join(users) if users else "none with events"
        title = f"Risk of {identity} per day; accounts: {accounts}"
        self.timeline.show_timeline(title, timeline, days)
        self.timeline.set_as_of(self.day)
        self.sig_identity_users.emit(identity, users)
        self.sig_timeline_loaded.emit()

    def _on_finding_selected(self, finding_id: str | None) -> None:
        if finding_id is None or self.session is None:
            self.finding_events.clear()
            return
        self.session.query(
            "risk-finding-events",
            lambda workspace: finding_events(workspace, finding_id),
            self._on_finding_events,
        )

    def _on_finding_events(self, result: tuple[pl.DataFrame, int]) -> None:
        events, total = result
        self.finding_events.show_events(events, total)
        self.sig_finding_events_loaded.emit(events.height)

    # Triage -----------------------------------------------------------------------

    def triage(self, finding_id: str, state: str, note: str = "") -> bool:
        """Store the triage of a finding on the write thread.

        Returns False, storing nothing, while an analysis runs or no case is open.
        """
        if not self._writes_allowed:
            return False
        text = note.strip() or None
        return self.writer.submit(
            lambda workspace: set_triage(workspace, finding_id, state, text),
            lambda _result: self._on_triaged(finding_id, state),
            lambda error: self.sig_message.emit(f"Triage not saved: {error}"),
        )

    def _on_triaged(self, finding_id: str, state: str) -> None:
        self.sig_message.emit(
            f"Finding {finding_id} marked {state.replace('_', ' ')}; "
            "press Analyze to update the risk scores (quick when no logs were added)"
        )
        if self.identity is not None:
            self._load_findings(self.identity)
        self.sig_triage_saved.emit(finding_id, state)
