"""The analysis on a worker thread, in stages, with a cancel between stages.

The worker reads the case with its own DuckDB cursor, runs the analytics
pipeline and stores the results through `workspace.analysis.store_results`,
which replaces identities, findings and risk in one transaction. A cancel
takes effect at the next stage boundary. Once storing has begun, the run
finishes, so the stored tables always come from one complete run.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from analytics.config import AnalyticsConfig
from analytics.pipeline import analyze
from app.gui.background import CaseSession
from app.gui.worker_thread import WorkerController
from workspace import Workspace
from workspace.analysis import (
    load_directory,
    load_events,
    load_overrides,
    load_triage,
    store_results,
)
from workspace.directory import ensure_analytics_tables

logger = logging.getLogger(__name__)

STAGES = ("Reading events", "Running detectors", "Storing results")


@dataclass
class AnalysisOutcome:
    """Result of one analysis run.

    Attributes:
        cancelled: true when the run stopped at a stage boundary on request.
        error: why the run failed, or None.
        events: events read from the case.
        findings: findings stored.
        identities: distinct identities stored.
        thread_id: identity of the thread that ran the analysis.
    """

    cancelled: bool = False
    error: str | None = None
    events: int = 0
    findings: int = 0
    identities: int = 0
    thread_id: int = 0


class AnalysisWorker(QObject):
    """Runs one analysis in the thread it is moved to."""

    sig_stage = Signal(int, int, str)
    """Emitted with (stage index, stage count, stage name) as each stage starts."""

    sig_finished = Signal(object)
    """Emitted once with the AnalysisOutcome."""

    def __init__(self, session: CaseSession, config: AnalyticsConfig) -> None:
        super().__init__()
        self._session = session
        self._config = config
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the run to stop before its next stage. Safe from any thread."""
        self._cancel.set()

    def run(self) -> None:
        outcome = AnalysisOutcome(thread_id=threading.get_ident())
        cursor = self._session.open_cursor()
        try:
            self._analyse(Workspace(self._session.workspace.root, cursor), outcome)
        except Exception as exc:  # shown to the investigator, not swallowed
            logger.exception("analysis run failed")
            outcome.error = f"analysis failed: {exc}"
        finally:
            cursor.close()
        self.sig_finished.emit(outcome)

    def _analyse(self, workspace: Workspace, outcome: AnalysisOutcome) -> None:
        self._start_stage(0)
        ensure_analytics_tables(workspace)
        events = load_events(workspace)
        directory = load_directory(workspace)
        triage = load_triage(workspace)
        overrides = load_overrides(workspace)
        outcome.events = events.height
        if self._stop(outcome):
            return

        self._start_stage(1)
        # NOTE: the same calls as workspace.analysis.run_analysis, split so a
        # cancel can land between them; keep the two in step.
        result = analyze(
            events, directory, triage=triage, config=self._config, overrides=overrides
        )
        if self._stop(outcome):
            return

        self._start_stage(2)
        store_results(workspace, result)
        outcome.findings = result.findings.height
        outcome.identities = result.identities.get_column("identity").n_unique()

    def _start_stage(self, index: int) -> None:
        logger.info("analysis stage %s: %s", index + 1, STAGES[index])
        self.sig_stage.emit(index, len(STAGES), STAGES[index])

    def _stop(self, outcome: AnalysisOutcome) -> bool:
        outcome.cancelled = self._cancel.is_set()
        return outcome.cancelled


class AnalysisController(WorkerController):
    """Starts analysis workers on their own QThread and relays their signals."""

    sig_stage = Signal(int, int, str)
    busy_message = "an analysis is already running; wait or cancel it"

    def start(
        self, session: CaseSession, config: AnalyticsConfig | None = None
    ) -> AnalysisWorker:
        """Start analysing the session's case on a new thread."""
        self.check_idle()
        worker = AnalysisWorker(session, config or AnalyticsConfig())
        worker.sig_stage.connect(self.sig_stage)
        self.launch(worker, "vigil-analysis")
        return worker


class AnalysisProgress(QWidget):
    """Stage label, busy bar and Cancel button shown while an analysis runs."""

    sig_cancel = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(160)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel analysis")
        self.cancel_button.setToolTip("Stops before the next stage; nothing is stored")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.hide()

    def begin(self) -> None:
        self.label.setText("Starting analysis…")
        self.bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.show()

    def show_stage(self, index: int, count: int, name: str) -> None:
        if self.cancel_button.isEnabled():
            self.label.setText(f"Stage {index + 1}/{count}: {name}…")
        if index == count - 1:
            # Storing replaces the results in one transaction, so it cannot stop.
            self.cancel_button.setEnabled(False)

    def _on_cancel_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling after the current stage…")
        self.sig_cancel.emit()
