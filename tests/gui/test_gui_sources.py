"""The sources panel: file list, import report and quarantined rows."""

from __future__ import annotations

from gui_helpers import WAIT_MS, run_sql, wait_idle

QUARANTINE_CSV = (
    "timestamp,user,action,host\n"
    "2024-03-04T00:00:00Z,alice,download,ws1\n"
    "not-a-time,bob,download,ws2\n"
    "2024-03-04T00:00:02Z,carol,upload,ws1\n"
    "also-bad,dave,upload,ws3\n"
)


def test_source_row(window):
    (sha256,) = run_sql(window, "SELECT sha256 FROM sources")[0]
    model = window.sources.model

    cells = [model.index(0, column).data() for column in range(model.columnCount())]

    assert model.rowCount() == 1
    assert cells[:6] == ["events.csv", "csv", "ok", "2,500", "0", "0"]
    assert cells[6] == "2024-03-04 00:00:00"
    assert cells[8] == sha256


def test_report_shown_on_select(window):
    (sha256,) = run_sql(window, "SELECT sha256 FROM sources")[0]

    window.sources.select_row(0)

    text = window.sources.report.toPlainText()
    assert "events.csv" in text
    assert sha256 in text
    assert "Field mapping" in text


def test_quarantined_rows(qtbot, open_window, empty_case, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(QUARANTINE_CSV, encoding="utf-8")
    window = open_window(empty_case)
    with qtbot.waitSignal(window.sig_import_finished, timeout=WAIT_MS):
        window.start_import([bad])
    wait_idle(qtbot, window)
    quarantine = window.sources.quarantine_model

    with qtbot.waitSignal(quarantine.sig_page_loaded, timeout=WAIT_MS):
        window.sources.select_row(0)

    refs = [quarantine.index(row, 0).data() for row in range(quarantine.rowCount())]
    assert refs == ["2", "4"]
    assert "not-a-time" in quarantine.index(0, 1).data()
    assert "bob" in quarantine.index(0, 2).data()
    assert window.sources.tabs.tabText(1) == "Quarantined rows (2)"
    assert "Quarantine reasons" in window.sources.report.toPlainText()
