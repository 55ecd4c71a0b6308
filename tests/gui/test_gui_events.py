"""The events table: lazy pages, text filter, sort and the background queries."""

from __future__ import annotations

import threading

from gui_helpers import ROWS, WAIT_MS, fetch_all, run_sql, wait_idle
from PySide6.QtCore import QModelIndex, Qt

from app.gui.events_model import PAGE_SIZE


def test_first_page_only(window):
    model = window.events_model

    rows = model.rowCount()

    assert rows == PAGE_SIZE
    assert rows < ROWS
    assert model.canFetchMore(QModelIndex())


def test_fetch_more_adds_page(qtbot, window):
    model = window.events_model

    with qtbot.waitSignal(model.sig_page_loaded, timeout=WAIT_MS) as page:
        model.fetchMore(QModelIndex())

    assert page.args == [PAGE_SIZE]
    assert model.rowCount() == 2 * PAGE_SIZE


def test_fetch_to_end(qtbot, window):
    model = window.events_model

    fetch_all(qtbot, model)

    assert model.rowCount() == ROWS
    assert not model.canFetchMore(QModelIndex())
    assert len(set(model.event_id(row) for row in range(ROWS))) == ROWS


def test_rows_in_time_order(qtbot, window):
    model = window.events_model
    fetch_all(qtbot, model)

    times = [model.index(row, 0).data() for row in range(model.rowCount())]

    assert times == sorted(times)
    assert times[0] == "2024-03-04 00:00:00"


def test_count_line(window):
    text = window.events.count_label.text()

    assert text == f"{ROWS:,} events match"


def test_text_filter(qtbot, window):
    (expected,) = run_sql(
        window, "SELECT count(*) FROM events WHERE user_name = 'user3'"
    )[0]

    with qtbot.waitSignal(window.sig_count_loaded, timeout=WAIT_MS) as counted:
        window.events.filter_edit.setText("user3")
    wait_idle(qtbot, window)

    assert counted.args == [expected]
    assert window.events_model.rowCount() == expected
    users = {
        window.events_model.index(row, 1).data()
        for row in range(window.events_model.rowCount())
    }
    assert users == {"user3"}
    assert window.events.count_label.text() == f"{expected:,} events match"


def test_filter_without_match(qtbot, window):
    with qtbot.waitSignal(window.sig_count_loaded, timeout=WAIT_MS) as counted:
        window.events.filter_edit.setText("no such text anywhere")
    wait_idle(qtbot, window)

    assert counted.args == [0]
    assert window.events_model.rowCount() == 0


def test_sort_by_user_descending(qtbot, window):
    expected = run_sql(
        window,
        "SELECT user_name, event_id FROM events "
        "ORDER BY user_name DESC, event_id DESC LIMIT ?",
        [PAGE_SIZE],
    )
    model = window.events_model

    with qtbot.waitSignal(model.modelReset, timeout=WAIT_MS):
        window.events.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    wait_idle(qtbot, window)

    table_rows = [
        (model.index(row, 1).data(), model.event_id(row))
        for row in range(model.rowCount())
    ]
    assert table_rows == expected


def test_column_headers(window):
    model = window.events_model

    headers = [
        model.headerData(column, Qt.Orientation.Horizontal)
        for column in range(model.columnCount())
    ]

    assert headers == [
        "Time (UTC)",
        "User",
        "Action",
        "Outcome",
        "Host",
        "Source IP",
        "Object",
        "Message",
    ]


def test_queries_off_gui_thread(window):
    thread_ids = window.session.runner.worker_thread_ids

    assert thread_ids
    assert threading.get_ident() not in thread_ids
