"""The risk view on an analysed synthetic case: ranking, findings, triage, as-of day."""

from __future__ import annotations

from datetime import date, timedelta

from gui_helpers import WAIT_MS, fetch_all, run_sql, wait_idle
from PySide6.QtCore import Qt

from app.gui.findings import TRIAGE_LABELS
from app.gui.timeline import DayAxisItem


def shown_identities(window) -> list[str]:
    model = window.risk.identities_model
    return [model.key(row) for row in range(model.rowCount())]


def expected_identities(window, day: date) -> list[str]:
    rows = run_sql(
        window,
        "SELECT identity FROM risk WHERE day = ? ORDER BY score DESC, identity",
        [day],
    )
    return [row[0] for row in rows]


def last_day(window) -> date:
    return run_sql(window, "SELECT CAST(max(timestamp) AS DATE) FROM events")[0][0]


def select_top_identity(qtbot, window) -> str:
    """Select the first row of the identities table and wait for its panels."""
    risk = window.risk
    identity = risk.identities_model.key(0)
    with (
        qtbot.waitSignal(risk.detail.sig_findings_loaded, timeout=WAIT_MS),
        qtbot.waitSignal(risk.detail.sig_timeline_loaded, timeout=WAIT_MS),
    ):
        risk.identities_table.selectRow(0)
    wait_idle(qtbot, window)
    return identity


def select_first_finding(qtbot, window) -> str:
    findings = window.risk.findings
    with qtbot.waitSignal(
        window.risk.detail.sig_finding_events_loaded, timeout=WAIT_MS
    ):
        findings.table.selectRow(0)
    return findings.selected_finding()


def test_table_sorted_by_risk(risk_window):
    day = last_day(risk_window)

    shown = shown_identities(risk_window)

    assert risk_window.risk.as_of() == day
    assert shown
    assert shown == expected_identities(risk_window, day)


def test_row_shows_directory_and_reasons(risk_window):
    day = last_day(risk_window)
    identity, department, role, score, level, reasons, findings = run_sql(
        risk_window,
        "SELECT r.identity, d.department, d.role, r.score, r.level, r.top_reasons, "
        "(SELECT count(*) FROM findings f WHERE f.identity = r.identity "
        " AND f.day <= r.day) "
        "FROM risk r LEFT JOIN directory d ON d.user_id = r.identity "
        "WHERE r.day = ? ORDER BY r.score DESC, r.identity LIMIT 1",
        [day],
    )[0]
    model = risk_window.risk.identities_model

    cells = [model.text(0, column) for column in range(model.columnCount())]

    assert cells[0].splitlines()[0] == identity
    assert cells[1] == f"{department}\n{role}"
    assert cells[2] == f"{score:.0f}"
    assert cells[3] == level == "high"
    assert cells[4] == str(findings)
    assert cells[5].splitlines() == [f"• {reason}" for reason in reasons]
    assert len(reasons) <= 3


def test_date_range_is_case_days(risk_window):
    first, last = run_sql(
        risk_window,
        "SELECT CAST(min(timestamp) AS DATE), CAST(max(timestamp) AS DATE) FROM events",
    )[0]
    edit = risk_window.risk.date_edit

    limits = (edit.minimumDate().toPython(), edit.maximumDate().toPython())

    assert limits == (first, last)


def test_as_of_day_changes_table(qtbot, risk_window):
    last = last_day(risk_window)
    day = run_sql(
        risk_window,
        "SELECT day FROM risk WHERE day < ? GROUP BY day "
        "ORDER BY count(*) DESC, day LIMIT 1",
        [last],
    )[0][0]
    before = shown_identities(risk_window)

    with qtbot.waitSignal(risk_window.risk.sig_identities_loaded, timeout=WAIT_MS):
        risk_window.risk.set_as_of(day)

    shown = shown_identities(risk_window)
    assert shown == expected_identities(risk_window, day)
    assert shown != before
    assert str(day) in risk_window.risk.identities_title.text()


def test_identity_shows_findings(qtbot, risk_window):
    day = last_day(risk_window)

    identity = select_top_identity(qtbot, risk_window)

    expected = run_sql(
        risk_window,
        "SELECT finding_id FROM findings WHERE identity = ? AND day <= ? "
        "ORDER BY day DESC, score DESC, finding_id",
        [identity, day],
    )
    model = risk_window.risk.findings.model
    shown = [model.key(row) for row in range(model.rowCount())]
    assert shown == [row[0] for row in expected]
    assert identity in risk_window.risk.findings.title.text()


def test_identity_filters_events(qtbot, risk_window):
    identity = select_top_identity(qtbot, risk_window)

    accounts = {
        row[0]
        for row in run_sql(
            risk_window, "SELECT account FROM identities WHERE identity = ?", [identity]
        )
    }
    user_names = risk_window.events_model.event_filter.users
    model = risk_window.events_model
    fetch_all(qtbot, model)
    shown_users = {model.index(row, 1).data() for row in range(model.rowCount())}
    (expected_count,) = run_sql(
        risk_window,
        f"SELECT count(*) FROM events WHERE user_name IN "
        f"({', '.join('?' for _ in user_names)})",
        list(user_names),
    )[0]
    assert user_names
    assert set(user_names) <= {a.split("\\", 1)[-1] for a in accounts}
    assert shown_users == set(user_names)
    assert model.rowCount() == expected_count
    assert risk_window.events.count_label.text().endswith(f"for {identity}")


def test_timeline_axes_and_as_of_line(qtbot, risk_window):
    timeline = risk_window.risk.timeline
    day = last_day(risk_window)

    identity = select_top_identity(qtbot, risk_window)

    risk_axis = timeline.risk_plot.getAxis("left").labelText
    date_axis = timeline.events_plot.getAxis("bottom").labelText
    (expected_max,) = run_sql(
        risk_window, "SELECT max(score) FROM risk WHERE identity = ?", [identity]
    )[0]
    _, risk = timeline.risk_curve.getData()
    end_of_day = (day - date(1970, 1, 1)).days * 86_400 + 86_400
    assert risk_axis == "risk score"
    assert date_axis == "date (UTC)"
    assert timeline.as_of_value() == end_of_day
    assert max(risk) == expected_max


def test_finding_lists_events(qtbot, risk_window):
    select_top_identity(qtbot, risk_window)

    finding_id = select_first_finding(qtbot, risk_window)

    expected = run_sql(
        risk_window,
        "SELECT e.event_id FROM events e JOIN (SELECT unnest(event_ids) AS event_id "
        "FROM findings WHERE finding_id = ?) f USING (event_id) "
        "ORDER BY e.timestamp, e.event_id",
        [finding_id],
    )
    model = risk_window.risk.finding_events.model
    shown = [model.key(row) for row in range(model.rowCount())]
    assert shown == [row[0] for row in expected]


def test_finding_event_opens_detail(qtbot, risk_window):
    select_top_identity(qtbot, risk_window)
    select_first_finding(qtbot, risk_window)
    table = risk_window.risk.finding_events.table
    event_id = risk_window.risk.finding_events.model.key(0)

    with qtbot.waitSignal(risk_window.detail.sig_event_shown, timeout=WAIT_MS) as shown:
        rect = table.visualRect(table.model().index(0, 0))
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    assert shown.args == [event_id]
    assert risk_window.detail.field_text("event_id") == event_id
    assert risk_window.notes.attach_check.isEnabled()


def test_triage_stored_and_logged(qtbot, risk_window):
    select_top_identity(qtbot, risk_window)
    finding_id = select_first_finding(qtbot, risk_window)
    findings = risk_window.risk.findings
    findings.note_edit.setText("month-end export agreed with the manager")

    with qtbot.waitSignal(risk_window.risk.detail.sig_findings_loaded, timeout=WAIT_MS):
        with qtbot.waitSignal(
            risk_window.risk.detail.sig_triage_saved, timeout=WAIT_MS
        ):
            findings.buttons["benign"].click()

    triage = run_sql(
        risk_window, "SELECT state, note FROM triage WHERE finding_id = ?", [finding_id]
    )
    action, detail = run_sql(
        risk_window, "SELECT action, detail FROM audit_log ORDER BY seq DESC LIMIT 1"
    )[0]
    row = findings.model.row_of(finding_id)
    assert triage == [("benign", "month-end export agreed with the manager")]
    assert action == "finding-triaged"
    assert finding_id in detail
    assert findings.model.text(row, 4) == (
        f"{TRIAGE_LABELS['benign']}: month-end export agreed with the manager"
    )
    assert findings.selected_finding() == finding_id


def test_triage_keeps_audit_chain(qtbot, risk_window):
    select_top_identity(qtbot, risk_window)
    finding_id = select_first_finding(qtbot, risk_window)

    with qtbot.waitSignal(risk_window.risk.detail.sig_triage_saved, timeout=WAIT_MS):
        risk_window.risk.findings.buttons["confirmed"].click()
    with qtbot.waitSignal(risk_window.risk.detail.sig_triage_saved, timeout=WAIT_MS):
        risk_window.risk.detail.triage(finding_id, "needs_review")

    (state,) = run_sql(
        risk_window, "SELECT state FROM triage WHERE finding_id = ?", [finding_id]
    )[0]
    assert state == "needs_review"
    assert risk_window.session.workspace.verify_audit_log() == []


def test_day_axis_labels_spaced(qapp):
    axis = DayAxisItem()
    first = date(2024, 1, 1)
    start = (first - date(1970, 1, 1)).days * 86_400

    ((spacing, values),) = axis.tickValues(start, start + 180 * 86_400, 600)

    labels = axis.tickStrings(values, 1.0, spacing)
    days = [date(1970, 1, 1) + timedelta(days=value // 86_400) for value in values]
    assert spacing * 600 / (180 * 86_400) >= DayAxisItem.MIN_LABEL_PX
    assert all(value % 86_400 == 0 for value in values)
    assert {day.weekday() for day in days} == {0}
    assert labels[0] == days[0].strftime("%b %d")
