"""The import options dialog: format, year and time zone for the chosen files."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from importers import registry
from importers.base import ImportOptions

UTC_DEFAULT = "UTC (default, reported as assumed)"
DETECT = "Detect from content"


class ImportOptionsDialog(QDialog):
    """Asks how to read files whose records lack a year or a UTC offset."""

    def __init__(self, paths: list[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import files")
        self.setMinimumWidth(560)
        self.paths = paths

        files = QListWidget()
        files.addItems([str(path) for path in paths])
        files.setMaximumHeight(120)

        self.format_box = QComboBox()
        self.format_box.addItem(DETECT, None)
        for name, importer in sorted(registry.importers().items()):
            self.format_box.addItem(name, name)
            index = self.format_box.count() - 1
            self.format_box.setItemData(
                index, importer.description, Qt.ItemDataRole.ToolTipRole
            )

        self.year_check = QCheckBox("Year for lines that carry none (syslog):")
        self.year_box = QSpinBox()
        self.year_box.setRange(1970, 2100)
        self.year_box.setValue(datetime.now(UTC).year)
        self.year_box.setEnabled(False)
        self.year_check.toggled.connect(self.year_box.setEnabled)

        self.zone_box = _zone_box()
        self.mapping_edit = QLineEdit()
        self.mapping_edit.setPlaceholderText("optional JSON file: column → field")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._choose_mapping)
        mapping_row = QHBoxLayout()
        mapping_row.addWidget(self.mapping_edit, 1)
        mapping_row.addWidget(browse)

        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #a00;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self._on_accept)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Format:", self.format_box)
        form.addRow(self.year_check, self.year_box)
        form.addRow("Time zone of times without offset:", self.zone_box)
        form.addRow("Field mapping:", mapping_row)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{len(paths)} file(s) or folder(s) to import:"))
        layout.addWidget(files)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def options(self) -> ImportOptions:
        """Return the chosen options; call after the dialog was accepted."""
        zone = self.zone_box.currentText().strip()
        mapping = self.mapping_edit.text().strip()
        return ImportOptions(
            year=self.year_box.value() if self.year_check.isChecked() else None,
            tz=None if zone in ("", UTC_DEFAULT) else zone,
            mapping_file=Path(mapping) if mapping else None,
            format=self.format_box.currentData(),
        )

    def _on_accept(self) -> None:
        error = self._validate()
        if error:
            self.error_label.setText(error)
            return
        self.accept()

    def _validate(self) -> str | None:
        zone = self.zone_box.currentText().strip()
        if zone not in ("", UTC_DEFAULT):
            try:
                zoneinfo.ZoneInfo(zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                return (
                    f"Unknown time zone {zone!r}: choose an IANA name such as "
                    "Europe/London."
                )
        mapping = self.mapping_edit.text().strip()
        if mapping and not Path(mapping).is_file():
            return f"Mapping file not found: {mapping}"
        return None

    def _choose_mapping(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Field mapping", "", "JSON files (*.json);;All files (*)"
        )
        if path:
            self.mapping_edit.setText(path)


def _zone_box() -> QComboBox:
    box = QComboBox()
    box.setEditable(True)
    box.addItem(UTC_DEFAULT)
    box.addItems(sorted(zoneinfo.available_timezones()))
    box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = QCompleter(box.model(), box)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    box.setCompleter(completer)
    return box
