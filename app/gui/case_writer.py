"""Investigator writes (triage, notes) on one worker thread, one at a time.

Each write appends to the hash-chained audit log, whose next sequence number
is read inside the write's transaction. Running the window's writes on a
single thread keeps two of them from taking the same number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from app.gui.background import CaseSession, ErrorCallback, ResultCallback, TaskRunner
from workspace import Workspace


class CaseWriter(QObject):
    """Runs write jobs on the open case, in order, off the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session: CaseSession | None = None
        self.runner = TaskRunner(self, max_threads=1)
        self._count = 0

    def set_session(self, session: CaseSession | None) -> None:
        """Write to another case after the writes queued on the old one finish."""
        if session is not self.session:
            self.runner.shutdown()
            self.runner.deleteLater()
            self.runner = TaskRunner(self, max_threads=1)
        self.session = session

    def submit(
        self,
        job: Callable[[Workspace], Any],
        on_result: ResultCallback,
        on_error: ErrorCallback | None = None,
    ) -> bool:
        """Queue `job` and return True, or return False when no case is open."""
        session = self.session
        if session is None:
            return False
        root = session.workspace.root

        def run() -> Any:
            cursor = session.open_cursor()
            try:
                return job(Workspace(root, cursor))
            finally:
                cursor.close()

        # Every write has its own key, so no write's result is dropped as stale.
        self._count += 1
        self.runner.submit(f"write-{self._count}", run, on_result, on_error)
        return True
