"""The analysis on a worker thread, in stages, with a cancel between stages.

The worker reads the case with its own DuckDB cursor and runs the three
steps of `workspace.analysis.run_analysis` (plan, compute, store) as its
stages, so a run in the window is incremental exactly when one from the
command line would be. Storing writes identities, findings and risk in one
transaction. A cancel takes effect at the next stage boundary. Once storing
has begun, the run finishes, so the stored tables always come from one
complete run.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from analytics.config import AnalyticsConfig
from app.gui.background import CaseSession
from app.gui.worker_thread import WorkerController
from workspace import Workspace
from workspace.analysis import compute_analysis, plan_analysis, store_results

logger = logging.getLogger(__name__)

STAGES = (
    "Checking what changed",
    "Reading events and running detectors",
    "Storing results",
)


@dataclass
class AnalysisOutcome:
    """Result of one analysis run.

    Attributes:
        cancelled: true when the run stopped at a stage boundary on request.
        error: why the run failed, or None.
        mode: "full", "incremental" or "risk" (see run_analysis).
        mode_reason: the reason for that mode.
        since: first day recomputed by an incremental run.
        findings: findings stored.
        identities: distinct identities stored.
        thread_id: identity of the thread that ran the analysis.
    """

    cancelled: bool = False
    error: str | None = None
    mode: str = ""
    mode_reason: str = ""
    since: date | None = None
    findings: int = 0
    identities: int = 0
    thread_id: int = 0


def outcome_text(outcome: AnalysisOutcome) -> str:
    """Return one status-bar sentence on how a finished run went."""
    if outcome.error:
        return outcome.error
    if outcome.cancelled:
        return "Analysis cancelled; the stored results are unchanged"
    if outcome.mode == "risk":
        reason = outcome.mode_reason.capitalize()
        return f"{reason}: risk recomputed with the current triage"
    if outcome.mode == "incremental":
        return (
            f"Analysed from {outcome.since} on ({outcome.mode_reason}): "
            f"{outcome.findings:,} findings from that day; "
            f"{outcome.identities:,} identities in the case"
        )
    return (
        f"Full analysis ({outcome.mode_reason}): {outcome.findings:,} findings; "
        f"{outcome.identities:,} identities in the case"
    )


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
        plan = plan_analysis(workspace, self._config)
        outcome.mode = plan.mode
        outcome.mode_reason = plan.mode_reason
        outcome.since = plan.since
        if self._stop(outcome):
            return

        self._start_stage(1)
        result = compute_analysis(workspace, plan)
        if self._stop(outcome):
            return

        self._start_stage(2)
        store_results(workspace, result, plan)
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
