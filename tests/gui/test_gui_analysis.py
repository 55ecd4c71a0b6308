"""Analyze from the window, its cancel between stages, and case notes."""

from __future__ import annotations

import threading

from gui_helpers import WAIT_MS, run_sql, wait_idle

ANALYSIS_WAIT_MS = 60_000


def audit_actions(window, action: str) -> int:
    return run_sql(window, "SELECT count(*) FROM audit_log WHERE action = ?", [action])[
        0
    ][0]


def test_analyze_without_new_events_recomputes_risk(qtbot, risk_window):
    runs_before = audit_actions(risk_window, "analysis-run")
    (findings_before,) = run_sql(risk_window, "SELECT count(*) FROM findings")[0]

    with qtbot.waitSignal(
        risk_window.risk.sig_analysis_finished, timeout=ANALYSIS_WAIT_MS
    ) as finished:
        risk_window.analyze_action.trigger()
    wait_idle(qtbot, risk_window)

    outcome = finished.args[0]
    (findings,) = run_sql(risk_window, "SELECT count(*) FROM findings")[0]
    assert outcome.error is None
    assert not outcome.cancelled
    assert outcome.mode == "risk"
    assert findings == findings_before
    assert outcome.thread_id != threading.get_ident()
    assert audit_actions(risk_window, "analysis-run") == runs_before + 1
    assert risk_window.risk.identities_model.rowCount() > 0


def test_analyze_disables_imports(qtbot, risk_window):
    with qtbot.waitSignal(
        risk_window.risk.sig_analysis_finished, timeout=ANALYSIS_WAIT_MS
    ):
        risk_window.risk.analyze_button.click()
        running = (
            risk_window.import_action.isEnabled(),
            risk_window.risk.analyze_button.isEnabled(),
            risk_window.risk.findings.buttons["benign"].isEnabled(),
        )

    assert running == (False, False, False)
    assert risk_window.import_action.isEnabled()
    assert risk_window.risk.analyze_button.isEnabled()


def test_cancel_keeps_results(qtbot, risk_window):
    before = run_sql(risk_window, "SELECT finding_id FROM findings ORDER BY 1")
    runs_before = audit_actions(risk_window, "analysis-run")
    risk_window.risk.analysis.sig_started.connect(risk_window.risk.analysis.cancel)

    with qtbot.waitSignal(
        risk_window.risk.sig_analysis_finished, timeout=ANALYSIS_WAIT_MS
    ) as finished:
        risk_window.risk.start_analysis()

    after = run_sql(risk_window, "SELECT finding_id FROM findings ORDER BY 1")
    assert finished.args[0].cancelled
    assert after == before
    assert audit_actions(risk_window, "analysis-run") == runs_before


def test_status_names_last_run(risk_window):
    (analysed_at,) = run_sql(
        risk_window,
        "SELECT max(ts) FROM audit_log WHERE action = 'analysis-run'",
    )[0]

    text = risk_window.risk.status_label.text()

    assert text.startswith(f"Analysed {analysed_at:%Y-%m-%d %H:%M} UTC")


def test_note_stored_and_listed(qtbot, risk_window):
    notes = risk_window.notes
    with qtbot.waitSignal(risk_window.detail.sig_event_shown, timeout=WAIT_MS):
        risk_window.events.table.selectRow(2)
    event_id = risk_window.events_model.event_id(2)
    notes.subject_edit.setText("cokafor")
    notes.body_edit.setPlainText("USB copies match the HR timeline.")
    notes.attach_check.setChecked(True)

    with qtbot.waitSignal(notes.sig_notes_loaded, timeout=WAIT_MS):
        with qtbot.waitSignal(notes.sig_note_saved, timeout=WAIT_MS) as saved:
            notes.add_button.click()

    note_id = saved.args[0]
    stored = run_sql(
        risk_window,
        "SELECT event_id, subject, body FROM notes WHERE note_id = ?",
        [note_id],
    )
    action, detail = run_sql(
        risk_window, "SELECT action, detail FROM audit_log ORDER BY seq DESC LIMIT 1"
    )[0]
    assert stored == [(event_id, "cokafor", "USB copies match the HR timeline.")]
    assert action == "note-added"
    assert "USB copies match the HR timeline." in detail
    assert notes.model.key(0) == str(note_id)
    assert notes.model.text(0, 3) == event_id
    assert notes.model.text(0, 4) == "USB copies match the HR timeline."
    assert notes.body_edit.toPlainText() == ""


def test_empty_note_not_saved(risk_window):
    notes = risk_window.notes
    notes.body_edit.setPlainText("   ")

    enabled = notes.add_button.isEnabled()

    assert not enabled
    assert run_sql(risk_window, "SELECT count(*) FROM notes")[0][0] == 0


def test_unanalysed_case_says_so(window):
    text = window.risk.status_label.text()

    assert text.startswith("Not analysed yet")
    assert window.risk.identities_model.rowCount() == 0
    assert window.risk.analyze_button.isEnabled()


def test_import_marks_results_stale(qtbot, risk_window, events_csv):
    with qtbot.waitSignal(risk_window.risk.sig_status_loaded, timeout=WAIT_MS) as done:
        with qtbot.waitSignal(risk_window.sig_import_finished, timeout=WAIT_MS):
            risk_window.start_import([events_csv])

    assert done.args[0].stale
    assert risk_window.risk.status_label.text().endswith(
        "Files were imported since: analyse again."
    )
