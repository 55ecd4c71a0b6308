"""Imports on a worker thread, with per-file and overall progress and a cancel.

The worker imports with its own DuckDB cursor through
`workspace.importing.import_paths`, which commits each file on its own, so
a cancel rolls back only the file in progress and leaves the case as it was
before that file.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.gui.background import CaseSession
from app.gui.worker_thread import WorkerController
from importers.base import ImportOptions, SourceError
from workspace.importing import FileResult, expand_paths, import_paths

logger = logging.getLogger(__name__)

# Progress signals are rate-limited so a fast importer cannot flood the GUI.
PROGRESS_INTERVAL_S = 0.05


@dataclass
class ImportOutcome:
    """Result of one import run.

    Attributes:
        results: one entry per file tried, in order.
        files: every file the paths expanded to.
        cancelled: true when the investigator cancelled the run.
        error: why the run could not start (e.g. a path not found), or None.
        thread_id: identity of the thread that ran the import.
    """

    results: list[FileResult] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    cancelled: bool = False
    error: str | None = None
    thread_id: int = 0

    @property
    def imported(self) -> list[FileResult]:
        return [r for r in self.results if r.report is not None]

    @property
    def failed(self) -> list[FileResult]:
        return [
            r
            for r in self.results
            if r.error and not r.skipped and r.error != "cancelled"
        ]

    @property
    def events(self) -> int:
        return sum(r.report.events for r in self.imported)


class ImportWorker(QObject):
    """Runs one import in the thread it is moved to."""

    sig_files = Signal(list)
    """Emitted with the list of files (Path) the paths expanded to."""

    sig_progress = Signal(float, int, int, int)
    """Emitted with (fraction of the current file, file index, file count, events)."""

    sig_file_finished = Signal(int)
    """Emitted with the index of a file whose import ended (committed or failed)."""

    sig_finished = Signal(object)
    """Emitted once with the ImportOutcome."""

    def __init__(
        self, session: CaseSession, paths: list[Path], options: ImportOptions
    ) -> None:
        super().__init__()
        self._session = session
        self._paths = paths
        self._options = options
        self._cancel = threading.Event()
        self._last_emit = 0.0
        self._file_index = 0

    def cancel(self) -> None:
        """Ask the import to stop at its next batch; safe from any thread."""
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        outcome = ImportOutcome(thread_id=threading.get_ident())
        try:
            outcome.files, skipped = expand_paths(self._paths)
            self.sig_files.emit(outcome.files)
            self._import(outcome)
            outcome.results = skipped + outcome.results
        except SourceError as exc:
            outcome.error = str(exc)
        except Exception as exc:  # shown to the investigator, not swallowed
            logger.exception("import run failed")
            outcome.error = f"import failed: {exc}"
        outcome.cancelled = self._cancel.is_set()
        self.sig_finished.emit(outcome)

    def _import(self, outcome: ImportOutcome) -> None:
        cursor = self._session.open_cursor()
        try:
            outcome.results = import_paths(
                self._session.workspace,
                outcome.files,
                self._options,
                progress=self._on_progress,
                cancelled=self._cancel.is_set,
                con=cursor,
            )
        finally:
            cursor.close()

    def _on_progress(self, fraction: float, index: int, count: int, events: int):
        if index != self._file_index:
            self.sig_file_finished.emit(self._file_index)
            self._file_index = index
        now = time.monotonic()
        if fraction < 1.0 and now - self._last_emit < PROGRESS_INTERVAL_S:
            return
        self._last_emit = now
        self.sig_progress.emit(fraction, index, count, events)


class ImportController(WorkerController):
    """Starts import workers on their own QThread and relays their signals."""

    sig_progress = Signal(float, int, int, int)
    sig_file_finished = Signal(int)
    busy_message = "an import is already running; wait or cancel it"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.files: list[Path] = []

    def start(
        self, session: CaseSession, paths: list[Path], options: ImportOptions
    ) -> ImportWorker:
        """Start importing `paths` into the session's case on a new thread."""
        self.check_idle()
        self.files = []
        worker = ImportWorker(session, list(paths), options)
        worker.sig_files.connect(self._on_files)
        worker.sig_progress.connect(self.sig_progress)
        worker.sig_file_finished.connect(self.sig_file_finished)
        self.launch(worker, "vigil-import")
        return worker

    def _on_files(self, files: list[Path]) -> None:
        self.files = files


class ImportProgressPanel(QWidget):
    """Status-bar widget: current file, per-file and overall bars, Cancel."""

    sig_cancel = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.file_bar = _bar("file %p%")
        self.overall_bar = _bar("overall %p%")
        self.cancel_button = QPushButton("Cancel import")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.file_bar)
        layout.addWidget(self.overall_bar)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.hide()

    def begin(self) -> None:
        self.label.setText("Preparing import…")
        self.file_bar.setValue(0)
        self.overall_bar.setValue(0)
        self.cancel_button.setEnabled(True)
        self.show()

    def update_progress(
        self, fraction: float, index: int, count: int, events: int, name: str
    ) -> None:
        self.label.setText(f"Importing {index + 1}/{count}: {name} ({events:,} events)")
        self.file_bar.setValue(round(fraction * 1000))
        self.overall_bar.setValue(round((index + fraction) / max(count, 1) * 1000))

    def _on_cancel_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling: rolling back the file in progress…")
        self.sig_cancel.emit()


def _bar(text_format: str) -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, 1000)
    bar.setFormat(text_format)
    bar.setFixedWidth(150)
    return bar
