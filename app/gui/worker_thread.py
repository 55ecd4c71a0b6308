"""One long job at a time on its own QThread: start, cancel, wait, finish."""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal


class WorkerController(QObject):
    """Runs one worker object at a time on a new QThread and relays its end.

    A worker is a QObject with a `run` slot, a `cancel` method that is safe
    from any thread, and a `sig_finished` signal carrying its outcome.
    """

    sig_started = Signal()
    """Emitted just before the worker's thread starts."""

    sig_finished = Signal(object)
    """Emitted with the worker's outcome once its thread has ended."""

    busy_message = "a job is already running; wait or cancel it"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker: QObject | None = None
        self._thread: QThread | None = None

    def is_running(self) -> bool:
        return self.worker is not None

    def check_idle(self) -> None:
        """Raise RuntimeError while a worker is still running."""
        if self.worker is not None:
            raise RuntimeError(self.busy_message)

    def launch(self, worker: QObject, thread_name: str) -> None:
        """Move `worker` to a new thread and start it.

        sig_started is emitted before the thread starts, so a slot that
        cancels at once stops the worker before its first step.
        """
        thread = QThread(self)
        thread.setObjectName(thread_name)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.sig_finished.connect(self._on_finished)
        self.worker, self._thread = worker, thread
        self.sig_started.emit()
        thread.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def wait(self) -> None:
        """Cancel and block until the worker thread ends (used when closing).

        A worker checks its cancel flag only between steps, so this lasts as
        long as the step in progress.
        """
        if self._thread is not None:
            self.cancel()
            self._thread.quit()
            self._thread.wait()

    def _on_finished(self, outcome: object) -> None:
        thread = self._thread
        self.worker, self._thread = None, None
        if thread is not None:
            thread.quit()
            thread.wait()
            thread.deleteLater()
        self.sig_finished.emit(outcome)
