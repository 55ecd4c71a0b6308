"""The risk view: the riskiest identities as of a day, and why.

Top: Analyze (with its progress and cancel), the as-of date and the state
of the stored analysis. Left: identities with a risk score on that day,
riskiest first, and the selected identity's findings with triage buttons.
Right: the identity's risk and activity over time, and the events of the
selected finding. Every query runs on the session's worker threads and
every write on the CaseWriter's single thread.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from PySide6.QtCore import QDate, QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.analysis_worker import (
    AnalysisController,
    AnalysisOutcome,
    AnalysisProgress,
    outcome_text,
)
from app.gui.background import CaseSession
from app.gui.case_writer import CaseWriter
from app.gui.identity_detail import IdentityDetail
from app.gui.rows_model import RowsModel, TextColumn, configure_table
from workspace.risk_queries import (
    AnalysisStatus,
    analysis_status,
    risky_identities,
)

DATE_DELAY_MS = 200
IDENTITY_COLUMNS = (
    TextColumn("Identity", 130),
    TextColumn("Department / role", 150),
    TextColumn(
        "Risk",
        48,
        numeric=True,
        tooltip="Sum of the identity's finding scores up to the as-of day; "
        "a finding counts half as much for every half-life since its day",
    ),
    TextColumn(
        "Level",
        58,
        tooltip="high: reviewed first, raises an alert; medium: worth a look "
        "when the high ones are done",
    ),
    TextColumn("Findings", 62, numeric=True, tooltip="Findings up to the as-of day"),
    TextColumn(
        "Top reasons",
        300,
        tooltip="The best reason of each of the three behaviours that weigh most",
    ),
)


def identity_rows(identities: pl.DataFrame) -> list[tuple[str, ...]]:
    """Format risky_identities rows for IDENTITY_COLUMNS: reasons one per line."""
    rows = []
    for row in identities.iter_rows(named=True):
        name = row["identity"]
        if row["display_name"]:
            name = f"{name}\n{row['display_name']}"
        place = "\n".join(part for part in (row["department"], row["role"]) if part)
        reasons = "\n".join(f"• {reason}" for reason in row["top_reasons"] or [])
        rows.append(
            (
                name,
                place or "—",
                f"{row['score']:.0f}",
                row["level"] or "—",
                str(row["findings"]),
                reasons,
            )
        )
    return rows


def status_text(status: AnalysisStatus) -> str:
    if status.first_day is None:
        return "No events in the case yet: import logs, then analyse."
    if status.analysed_at is None:
        return "Not analysed yet: press Analyze to score every identity."
    text = (
        f"Analysed {status.analysed_at:%Y-%m-%d %H:%M} UTC: {status.findings:,} "
        f"findings on {status.identities:,} identities."
    )
    if status.stale:
        text += " Files were imported since: analyse again."
    return text


class RiskPanel(QWidget):
    """Risky identities on a chosen day, their findings, timeline and triage."""

    sig_status_loaded = Signal(object)
    """Emitted with the AnalysisStatus after each refresh."""

    sig_identities_loaded = Signal(int)
    """Emitted with the number of identities shown for the as-of day."""

    sig_identity_users = Signal(str, list)
    """Emitted with (identity, its event user names); ("", []) when cleared."""

    sig_event_selected = Signal(object)
    """Emitted with the event id the investigator clicked in a finding."""

    sig_analysis_finished = Signal(object)
    """Emitted with the AnalysisOutcome after the view has refreshed."""

    sig_busy_changed = Signal(bool)
    """Emitted with True when an analysis starts and False when it ends."""

    sig_message = Signal(str)
    """Emitted with a line for the status bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: CaseSession | None = None
        self.status: AnalysisStatus | None = None
        self.writer = CaseWriter(self)
        self.analysis = AnalysisController(self)
        self._shown_day: date | None = None
        self._can_analyze = False

        self.analyze_button = QPushButton("Analyze")
        self.analyze_button.setToolTip(
            "Run every detector over the whole case and replace the stored results"
        )
        self.progress = AnalysisProgress()
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setToolTip(
            "Rank identities by their risk at the end of this day"
        )
        self.status_label = QLabel()
        self.identities_title = QLabel("Identities with a risk score")
        self.identities_model = RowsModel(IDENTITY_COLUMNS, self)
        self.identities_table = QTableView()
        configure_table(
            self.identities_table, self.identities_model, lines=3, wrap=True
        )
        self.detail = IdentityDetail(self.writer, self)
        self.findings = self.detail.findings
        self.timeline = self.detail.timeline
        self.finding_events = self.detail.finding_events
        self._date_timer = QTimer(self)
        self._date_timer.setSingleShot(True)
        self._date_timer.setInterval(DATE_DELAY_MS)
        self._layout_widgets()
        self._connect()
        self._update_controls()

    def _layout_widgets(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.analyze_button)
        bar.addWidget(self.progress)
        bar.addSpacing(16)
        bar.addWidget(QLabel("Risk as of (UTC day):"))
        bar.addWidget(self.date_edit)
        bar.addSpacing(16)
        bar.addWidget(self.status_label, 1)

        identities = QWidget()
        identities_layout = QVBoxLayout(identities)
        identities_layout.setContentsMargins(0, 0, 0, 0)
        identities_layout.addWidget(self.identities_title)
        identities_layout.addWidget(self.identities_table, 1)
        left = _splitter(Qt.Orientation.Vertical, identities, self.findings, (3, 2))
        right = _splitter(
            Qt.Orientation.Vertical, self.timeline, self.finding_events, (3, 2)
        )
        columns = _splitter(Qt.Orientation.Horizontal, left, right, (3, 2))
        # Reasons are sentences, so the tables get the wider share.
        columns.setSizes([900, 600])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 0)
        layout.addLayout(bar)
        layout.addWidget(columns, 1)

    def _connect(self) -> None:
        self.analyze_button.clicked.connect(self.start_analysis)
        self.progress.sig_cancel.connect(self.analysis.cancel)
        self.analysis.sig_started.connect(self._on_analysis_started)
        self.analysis.sig_stage.connect(self.progress.show_stage)
        self.analysis.sig_finished.connect(self._on_analysis_finished)
        self.date_edit.dateChanged.connect(self._on_date_changed)
        self._date_timer.timeout.connect(self.load_identities)
        self.identities_table.selectionModel().selectionChanged.connect(
            self._on_identity_selection
        )
        self.finding_events.sig_event_selected.connect(self.sig_event_selected)
        self.detail.sig_identity_users.connect(self.sig_identity_users)
        self.detail.sig_message.connect(self.sig_message)

    # Case and analysis ----------------------------------------------------------

    def set_session(self, session: CaseSession | None) -> None:
        """Show another case, after a running analysis of the old one ends."""
        if session is None:
            self.analysis.wait()
        self.session = session
        self.writer.set_session(session)
        self.status = None
        self._shown_day = None
        self.detail.set_session(session)
        self.identities_model.clear()
        self.identities_title.setText("Identities with a risk score")
        self.refresh()

    def refresh(self) -> None:
        """Reload the case's day range and analysis state, then the identities."""
        self._update_controls()
        if self.session is None:
            self.status_label.setText("No case open")
            return
        self.session.query("risk-status", analysis_status, self._on_status)

    def set_can_analyze(self, allowed: bool) -> None:
        """Allow or forbid starting an analysis (e.g. while an import runs)."""
        self._can_analyze = allowed
        self._update_controls()

    def is_analysing(self) -> bool:
        return self.analysis.is_running()

    def start_analysis(self) -> bool:
        """Start analysing the case on a worker thread; False when not allowed."""
        if self.session is None or self.is_analysing() or not self._can_analyze:
            return False
        self.analysis.start(self.session)
        return True

    def _on_analysis_started(self) -> None:
        self.progress.begin()
        self._update_controls()
        self.sig_busy_changed.emit(True)

    def _on_analysis_finished(self, outcome: AnalysisOutcome) -> None:
        self.progress.hide()
        self._update_controls()
        self.sig_busy_changed.emit(False)
        self.sig_message.emit(outcome_text(outcome))
        self.refresh()
        self.sig_analysis_finished.emit(outcome)

    def _update_controls(self) -> None:
        running = self.is_analysing()
        self.analyze_button.setEnabled(
            self.session is not None and self._can_analyze and not running
        )
        self.detail.set_writes_allowed(self.session is not None and not running)
        self.date_edit.setEnabled(
            self.status is not None and self.status.first_day is not None
        )

    def _on_status(self, status: AnalysisStatus) -> None:
        self.status = status
        self.status_label.setText(status_text(status))
        self._update_controls()
        if status.first_day is not None:
            self.date_edit.blockSignals(True)
            self.date_edit.setDateRange(
                _qdate(status.first_day), _qdate(status.last_day)
            )
            # A newly opened case starts on its last day; later refreshes keep
            # the investigator's day (clamped to the range by QDateEdit).
            if self._shown_day is None:
                self.date_edit.setDate(_qdate(status.last_day))
            self.detail.set_case_days(status.first_day, status.last_day)
            self.date_edit.blockSignals(False)
        self.sig_status_loaded.emit(status)
        self.load_identities()

    # As-of day and identities ---------------------------------------------------

    def as_of(self) -> date | None:
        if self.status is None or self.status.first_day is None:
            return None
        return self.date_edit.date().toPython()

    def set_as_of(self, day: date) -> None:
        """Choose the as-of day (clamped to the case's days) and reload at once."""
        self.date_edit.setDate(_qdate(day))
        self._date_timer.stop()
        self.load_identities()

    def _on_date_changed(self, _date: QDate) -> None:
        self._date_timer.start()

    def load_identities(self) -> None:
        day = self.as_of()
        if self.session is None or day is None:
            self.sig_identities_loaded.emit(0)
            return
        self.session.query(
            "risk-identities",
            lambda workspace: risky_identities(workspace, day),
            lambda frame: self._on_identities(day, frame),
        )

    def _on_identities(self, day: date, identities: pl.DataFrame) -> None:
        self._shown_day = day
        previous = self.detail.identity
        keys = identities.get_column("identity").to_list()
        self.identities_model.set_rows(keys, identity_rows(identities))
        if identities.height:
            high = identities.filter(identities["level"] == "high").height
            self.identities_title.setText(
                f"{identities.height:,} identities with a risk score on {day} "
                f"({high:,} high, {identities.height - high:,} medium), riskiest first"
            )
        else:
            self.identities_title.setText(f"No identity has a risk score on {day}")
        row = self.identities_model.row_of(previous) if previous else None
        if row is None:
            self.detail.show_identity(None)
        self.detail.set_as_of(day)
        if row is not None:
            self.identities_table.selectRow(row)
        self.sig_identities_loaded.emit(identities.height)

    def selected_identity(self) -> str | None:
        return self.detail.identity

    def select_identity(self, identity: str) -> bool:
        row = self.identities_model.row_of(identity)
        if row is None:
            return False
        self.identities_table.selectRow(row)
        return True

    def _on_identity_selection(self, _selected: QItemSelection, _deselected) -> None:
        rows = self.identities_table.selectionModel().selectedRows()
        identity = self.identities_model.key(rows[0].row()) if rows else None
        if identity != self.detail.identity:
            self.detail.show_identity(identity)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _splitter(
    orientation: Qt.Orientation, first: QWidget, second: QWidget, stretch: tuple
) -> QSplitter:
    splitter = QSplitter(orientation)
    splitter.addWidget(first)
    splitter.addWidget(second)
    splitter.setStretchFactor(0, stretch[0])
    splitter.setStretchFactor(1, stretch[1])
    splitter.setChildrenCollapsible(False)
    return splitter
