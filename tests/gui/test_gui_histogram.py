"""The histogram: counts over the filter, labelled axes and the time range."""

from __future__ import annotations

from datetime import timedelta

from gui_helpers import FIRST_TIME, ROWS, WAIT_MS, fetch_all, run_sql, wait_idle

from app.gui.histogram import to_epoch


def test_bins_sum_to_events(window):
    counts = window.histogram.curve.yData

    assert counts.sum() == ROWS


def test_axis_labels(window):
    plot = window.histogram.plot.getPlotItem()

    assert plot.getAxis("left").labelText == "events per bin"
    assert plot.getAxis("bottom").labelText == "time (UTC)"
    assert plot.titleLabel.text.startswith("Events over time")


def test_bins_follow_text_filter(qtbot, window):
    (expected,) = run_sql(
        window, "SELECT count(*) FROM events WHERE user_name = 'user5'"
    )[0]

    with qtbot.waitSignal(window.histogram.sig_bins_loaded, timeout=WAIT_MS):
        window.events.filter_edit.setText("user5")

    assert window.histogram.curve.yData.sum() == expected


def test_range_narrows_table(qtbot, window):
    start = FIRST_TIME + timedelta(minutes=10)
    end = FIRST_TIME + timedelta(minutes=20, seconds=30)
    (expected,) = run_sql(
        window,
        "SELECT count(*) FROM events WHERE timestamp >= ? AND timestamp < ?",
        [start, end],
    )[0]

    with qtbot.waitSignal(window.sig_count_loaded, timeout=WAIT_MS) as counted:
        window.histogram.set_range(start, end)
    wait_idle(qtbot, window)
    fetch_all(qtbot, window.events_model)

    model = window.events_model
    assert counted.args == [expected]
    assert model.rowCount() == expected
    assert model.index(0, 0).data() == "2024-03-04 00:10:00"
    assert model.index(expected - 1, 0).data() == "2024-03-04 00:20:29"
    assert "selected range" in window.events.count_label.text()


def test_range_with_text_filter(qtbot, window):
    start = FIRST_TIME + timedelta(minutes=5)
    end = FIRST_TIME + timedelta(minutes=15)
    (expected,) = run_sql(
        window,
        "SELECT count(*) FROM events WHERE timestamp >= ? AND timestamp < ? "
        "AND user_name = 'user2'",
        [start, end],
    )[0]
    with qtbot.waitSignal(window.sig_count_loaded, timeout=WAIT_MS):
        window.events.filter_edit.setText("user2")

    with qtbot.waitSignal(window.sig_count_loaded, timeout=WAIT_MS) as counted:
        window.histogram.set_range(start, end)
    wait_idle(qtbot, window)

    assert counted.args == [expected]
    assert window.events_model.rowCount() == expected


def test_clear_range_restores_all(qtbot, window):
    with qtbot.waitSignal(window.sig_count_loaded, timeout=WAIT_MS):
        window.histogram.set_range(FIRST_TIME, FIRST_TIME + timedelta(minutes=1))

    with qtbot.waitSignal(window.sig_count_loaded, timeout=WAIT_MS) as counted:
        window.histogram.clear_button.click()

    assert counted.args == [ROWS]
    assert not window.histogram.region.isVisible()
    assert window.histogram.range_label.text() == "Range: all time"


def test_zoom_rebins_visible_window(qtbot, window):
    start = FIRST_TIME + timedelta(minutes=5)
    end = FIRST_TIME + timedelta(minutes=6)
    (expected,) = run_sql(
        window,
        "SELECT count(*) FROM events WHERE timestamp >= ? AND timestamp <= ?",
        [start, end],
    )[0]

    with qtbot.waitSignal(window.histogram.sig_bins_loaded, timeout=WAIT_MS):
        window.histogram.plot.setXRange(to_epoch(start), to_epoch(end), padding=0)

    edges = window.histogram.curve.xData
    assert window.histogram.curve.yData.sum() == expected
    assert edges[0] == to_epoch(start)
    assert edges[-1] >= to_epoch(end)
    assert "s per bin" in window.histogram.plot.getPlotItem().titleLabel.text
