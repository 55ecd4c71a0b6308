"""The detail pane: normalised fields, original record and source of one event."""

from __future__ import annotations

import json

from gui_helpers import WAIT_MS, run_sql


def test_detail_shows_selected_event(qtbot, window):
    row = 3
    event_id = window.events_model.event_id(row)
    user, original, sha256 = run_sql(
        window,
        "SELECT e.user_name, e.original, s.sha256 FROM events e "
        "JOIN sources s USING (source_id) WHERE e.event_id = ?",
        [event_id],
    )[0]

    with qtbot.waitSignal(window.detail.sig_event_shown, timeout=WAIT_MS) as shown:
        window.events.table.selectRow(row)

    detail = window.detail
    assert shown.args == [event_id]
    assert detail.field_text("user_name") == user
    assert detail.field_text("event_id") == event_id
    assert json.loads(detail.original.toPlainText()) == json.loads(original)
    assert sha256 in detail.source_label.text()
    assert "events.csv" in detail.source_label.text()


def test_detail_lists_schema_fields(qtbot, window):
    with qtbot.waitSignal(window.detail.sig_event_shown, timeout=WAIT_MS):
        window.events.table.selectRow(0)

    names = [
        window.detail.fields.item(row, 0).text()
        for row in range(window.detail.fields.rowCount())
    ]

    assert names[:3] == ["event_id", "source_id", "timestamp"]
    assert "tz_assumed" in names
    assert "message" in names
    assert "original" not in names


def test_detail_pretty_prints_json(qtbot, window):
    with qtbot.waitSignal(window.detail.sig_event_shown, timeout=WAIT_MS):
        window.events.table.selectRow(0)

    text = window.detail.original.toPlainText()

    assert text.startswith("{\n  ")
