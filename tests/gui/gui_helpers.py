"""Helpers shared by the window tests: CSV writer, waits and direct SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QModelIndex

ROWS = 2_500
FIRST_TIME = datetime(2024, 3, 4)
USERS = 7
WAIT_MS = 15_000


def write_events_csv(path: Path, rows: int = ROWS, first_row: int = 0) -> Path:
    """Write one event per second from FIRST_TIME + `first_row` seconds."""
    lines = ["timestamp,user,action,host,bytes"]
    for i in range(first_row, first_row + rows):
        moment = FIRST_TIME + timedelta(seconds=i)
        lines.append(
            f"{moment:%Y-%m-%dT%H:%M:%S}Z,user{i % USERS},download,ws{i % 3},{i}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wait_idle(qtbot, window) -> None:
    """Wait until every background query of the window has delivered."""
    runner = window.session.runner
    if not runner.is_idle():
        with qtbot.waitSignal(runner.sig_idle, timeout=WAIT_MS):
            pass


def fetch_all(qtbot, model) -> None:
    """Fetch pages until the model has every matching row."""
    while model.canFetchMore(QModelIndex()) or model.is_loading():
        if model.is_loading():
            with qtbot.waitSignal(model.sig_page_loaded, timeout=WAIT_MS):
                pass
            continue
        with qtbot.waitSignal(model.sig_page_loaded, timeout=WAIT_MS):
            model.fetchMore(QModelIndex())


def run_sql(window, query: str, params: list | None = None) -> list[tuple]:
    """Run SQL on the window's case with a cursor of its own."""
    cursor = window.session.open_cursor()
    try:
        return cursor.execute(query, params or []).fetchall()
    finally:
        cursor.close()
