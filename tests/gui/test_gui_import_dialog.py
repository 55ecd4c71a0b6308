"""The import options dialog: year, zone, format and their validation."""

from __future__ import annotations

from pathlib import Path

from app.gui.import_dialog import ImportOptionsDialog


def test_defaults_leave_options_unset(qtbot):
    dialog = ImportOptionsDialog([Path("auth.log")])
    qtbot.addWidget(dialog)

    options = dialog.options()

    assert options.year is None
    assert options.tz is None
    assert options.format is None
    assert options.mapping_file is None


def test_year_and_zone_chosen(qtbot):
    dialog = ImportOptionsDialog([Path("auth.log")])
    qtbot.addWidget(dialog)
    dialog.year_check.setChecked(True)
    dialog.year_box.setValue(2019)
    dialog.zone_box.setCurrentText("Europe/London")
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("syslog"))

    options = dialog.options()

    assert options.year == 2019
    assert options.tz == "Europe/London"
    assert options.format == "syslog"


def test_unknown_zone_rejected(qtbot):
    dialog = ImportOptionsDialog([Path("auth.log")])
    qtbot.addWidget(dialog)
    dialog.zone_box.setCurrentText("Mars/Olympus")

    dialog._on_accept()

    assert "Mars/Olympus" in dialog.error_label.text()
    assert dialog.result() == 0
