"""Imports from the window: worker thread, progress, cancel and case state."""

from __future__ import annotations

import threading

from gui_helpers import ROWS, WAIT_MS, run_sql, wait_idle, write_events_csv
from PySide6.QtCore import QMimeData, QPointF, Qt, QThread, QUrl
from PySide6.QtGui import QDropEvent

from app.gui.import_worker import ImportWorker
from importers.base import ImportOptions


def case_counts(window) -> dict[str, int]:
    return {
        table: run_sql(window, f"SELECT count(*) FROM {table}")[0][0]
        for table in ("events", "sources", "quarantine", "audit_log")
    }


def test_import_fills_sources(qtbot, open_window, empty_case, events_csv):
    window = open_window(empty_case)

    with qtbot.waitSignal(window.sig_import_finished, timeout=WAIT_MS) as done:
        window.start_import([events_csv])
    wait_idle(qtbot, window)

    outcome = done.args[0]
    source = window.sources.model.source(0)
    assert outcome.error is None
    assert outcome.events == ROWS
    assert window.sources.model.rowCount() == 1
    assert source["name"] == "events.csv"
    assert source["events"] == ROWS
    assert source["status"] == "ok"
    assert window.events_model.rowCount() > 0
    assert window.events.count_label.text() == f"{ROWS:,} events match"


def test_import_runs_in_worker_thread(qtbot, open_window, empty_case, events_csv):
    window = open_window(empty_case)

    with qtbot.waitSignal(window.sig_import_finished, timeout=WAIT_MS) as done:
        window.start_import([events_csv])

    assert done.args[0].thread_id != threading.get_ident()


def test_import_reports_progress(qtbot, open_window, empty_case, events_csv):
    window = open_window(empty_case)
    progress = []
    window.imports.sig_progress.connect(lambda *args: progress.append(args))

    with qtbot.waitSignal(window.sig_import_finished, timeout=WAIT_MS):
        window.start_import([events_csv])

    fraction, index, count, _events = progress[-1]
    assert progress
    assert 0.0 < fraction <= 1.0
    assert (index, count) == (0, 1)
    assert not window.import_progress.isVisible()


def test_summary_after_import(qtbot, open_window, empty_case, events_csv):
    window = open_window(empty_case)

    with qtbot.waitSignal(window.sig_import_finished, timeout=WAIT_MS):
        window.start_import([events_csv])
    wait_idle(qtbot, window)

    assert f"{ROWS:,} events" in window.summary_label.text()
    assert "1 sources" in window.summary_label.text()


def test_cancel_keeps_case(qtbot, window, tmp_path):
    second = write_events_csv(tmp_path / "second.csv", first_row=ROWS)
    before = case_counts(window)
    window.imports.sig_started.connect(window.cancel_import)

    with qtbot.waitSignal(window.sig_import_finished, timeout=WAIT_MS) as done:
        window.start_import([second])
    wait_idle(qtbot, window)

    outcome = done.args[0]
    assert outcome.cancelled
    assert outcome.results[0].error == "cancelled"
    assert case_counts(window) == before
    assert window.sources.model.rowCount() == 1


def test_cancel_mid_file_rolls_back(qtbot, window, tmp_path):
    second = write_events_csv(tmp_path / "second.csv", first_row=ROWS)
    before = case_counts(window)
    worker = ImportWorker(window.session, [second], ImportOptions(batch_rows=500))
    thread = QThread()
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # Runs in the worker thread during the first progress report, so the
    # cancel lands after one batch is inserted and before the commit.
    worker.sig_progress.connect(
        lambda *args: worker.cancel(), type=Qt.ConnectionType.DirectConnection
    )

    with qtbot.waitSignal(worker.sig_finished, timeout=WAIT_MS) as done:
        thread.start()
    thread.quit()
    thread.wait()

    outcome = done.args[0]
    assert outcome.cancelled
    assert outcome.results[0].error == "cancelled"
    assert case_counts(window) == before


def test_open_missing_case(qtbot, tmp_path):
    from app.gui.main import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)

    with qtbot.waitSignal(window.sig_open_failed, timeout=WAIT_MS) as failed:
        window.open_case(tmp_path / "missing.vigil")

    assert "no case found" in failed.args[0]
    assert window.session is None


def test_new_case_opens_empty(qtbot, tmp_path):
    from app.gui.main import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)

    with qtbot.waitSignal(window.sig_case_opened, timeout=WAIT_MS):
        window.create_case(tmp_path / "fresh.vigil")
    wait_idle(qtbot, window)

    assert (tmp_path / "fresh.vigil" / "case.duckdb").is_file()
    assert window.events_model.rowCount() == 0
    assert window.events.count_label.text() == "0 events match"


def test_unreadable_file_reported(qtbot, window, tmp_path):
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    before = case_counts(window)

    with qtbot.waitSignal(window.sig_import_finished, timeout=WAIT_MS) as done:
        window.start_import([binary])
    wait_idle(qtbot, window)

    outcome = done.args[0]
    assert [result.path.name for result in outcome.failed] == ["blob.bin"]
    assert "blob.bin" in outcome.failed[0].error
    assert case_counts(window) == before


def test_drop_case_folder_opens_it(qtbot, built_case):
    from app.gui.main import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(built_case))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )

    with qtbot.waitSignal(window.sig_case_opened, timeout=WAIT_MS) as opened:
        window.dropEvent(drop)

    assert opened.args == [str(built_case)]
