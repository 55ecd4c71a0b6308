"""Background work for the window: queries on a thread pool, one cursor each.

The GUI thread never runs a query. A widget submits a job under a key, the
job runs on a pool thread with its own DuckDB cursor, and the result comes
back to a callback on the GUI thread. Submitting again under the same key
makes any earlier result of that key stale, so a result that arrives after
the filter changed is dropped instead of shown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

from workspace import Workspace

logger = logging.getLogger(__name__)

ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[str], None]


@dataclass(frozen=True)
class _Done:
    task_id: int
    result: Any
    error: str | None
    thread_id: int


@dataclass
class _Pending:
    key: str
    generation: int
    on_result: ResultCallback
    on_error: ErrorCallback | None


class _Task(QRunnable):
    def __init__(self, task_id: int, job: Callable[[], Any], done: Signal) -> None:
        super().__init__()
        self._task_id = task_id
        self._job = job
        self._done = done

    def run(self) -> None:
        thread_id = threading.get_ident()
        try:
            result = self._job()
        except Exception as exc:  # reported to the widget that asked
            logger.exception("background job %s failed", self._task_id)
            error = str(exc) or type(exc).__name__
            self._done.emit(_Done(self._task_id, None, error, thread_id))
            return
        self._done.emit(_Done(self._task_id, result, None, thread_id))


class TaskRunner(QObject):
    """Runs jobs on a thread pool and hands each result to the GUI thread.

    Attributes:
        worker_thread_ids: identities of the threads that ran jobs, so tests
            can check that no job ran on the GUI thread.
    """

    sig_idle = Signal()
    """Emitted when the last pending job has delivered its result."""

    sig_error = Signal(str, str)
    """Emitted with the job key and the error text when a job raises."""

    _sig_done = Signal(object)  # a _Done, emitted from pool threads

    def __init__(self, parent: QObject | None = None, max_threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._generations: dict[str, int] = {}
        self._pending: dict[int, _Pending] = {}
        self._next_id = 0
        self._closed = False
        self.worker_thread_ids: set[int] = set()
        self._sig_done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    def submit(
        self,
        key: str,
        job: Callable[[], Any],
        on_result: ResultCallback,
        on_error: ErrorCallback | None = None,
    ) -> None:
        """Run `job` on the pool; its result goes to `on_result` unless stale."""
        if self._closed:
            return
        generation = self._generations.get(key, 0) + 1
        self._generations[key] = generation
        self._next_id += 1
        self._pending[self._next_id] = _Pending(key, generation, on_result, on_error)
        self._pool.start(_Task(self._next_id, job, self._sig_done))

    def discard(self, key: str) -> None:
        """Drop the result of any job of `key` still running."""
        self._generations[key] = self._generations.get(key, 0) + 1

    def is_idle(self) -> bool:
        return not self._pending

    def shutdown(self) -> None:
        """Drop queued jobs, wait for running ones and ignore their results."""
        self._closed = True
        self._pool.clear()
        self._pool.waitForDone()
        self._pending.clear()

    def _on_done(self, done: _Done) -> None:
        self.worker_thread_ids.add(done.thread_id)
        pending = self._pending.pop(done.task_id, None)
        if pending is not None and not self._closed:
            self._deliver(pending, done.result, done.error)
        if not self._pending:
            self.sig_idle.emit()

    def _deliver(self, pending: _Pending, result: object, error: str | None) -> None:
        if self._generations.get(pending.key) != pending.generation:
            return
        if error is None:
            pending.on_result(result)
            return
        self.sig_error.emit(pending.key, error)
        if pending.on_error is not None:
            pending.on_error(error)


class CaseSession(QObject):
    """An open case in the window: the workspace and its query runner.

    Queries run only on worker threads. Each job gets its own cursor, made
    under a lock because creating a cursor registers it on the shared
    connection.
    """

    def __init__(self, workspace: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.runner = TaskRunner(self)
        self._cursor_lock = threading.Lock()

    def open_cursor(self):
        """Return a new DuckDB cursor on the case; the caller closes it."""
        with self._cursor_lock:
            return self.workspace.cursor()

    def query(
        self,
        key: str,
        job: Callable[[Workspace], Any],
        on_result: ResultCallback,
        on_error: ErrorCallback | None = None,
    ) -> None:
        """Run `job` on a worker thread with a Workspace bound to its own cursor."""
        root = self.workspace.root

        def run() -> Any:
            cursor = self.open_cursor()
            try:
                return job(Workspace(root, cursor))
            finally:
                cursor.close()

        self.runner.submit(key, run, on_result, on_error)

    def close(self) -> None:
        """Wait for running queries, then close the case database."""
        self.runner.shutdown()
        self.workspace.close()
