"""Findings of one identity with their triage buttons, and one finding's events.

These widgets only display rows and emit what the investigator chose. The
identity detail controller runs the queries and the writes.
"""

from __future__ import annotations

import polars as pl
from PySide6.QtCore import QItemSelection, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.rows_model import RowsModel, TextColumn, configure_table

TRIAGE_LABELS = {
    "confirmed": "Confirmed",
    "benign": "Benign",
    "needs_review": "Needs review",
}
_TRIAGE_COLOURS = {
    "confirmed": QColor(170, 30, 30),
    "benign": QColor(120, 120, 120),
    "needs_review": QColor(30, 90, 170),
}
FINDING_COLUMNS = (
    TextColumn("Day", 80),
    TextColumn("Detector", 90),
    TextColumn("Behaviour", 116),
    TextColumn("Score", 46, numeric=True, tooltip="Finding score, 0 to 100"),
    TextColumn("Triage", 90),
    TextColumn("Reason", 300),
)
EVENT_COLUMNS = (
    TextColumn("Time (UTC)", 140),
    TextColumn("User", 90),
    TextColumn("Action", 100),
    TextColumn("Outcome", 62),
    TextColumn("Host", 90),
    TextColumn("Object", 200),
    TextColumn("Message", 300),
)


def finding_rows(findings: pl.DataFrame) -> list[tuple[str, ...]]:
    """Format identity_findings rows for FINDING_COLUMNS."""
    rows = []
    for row in findings.iter_rows(named=True):
        state = TRIAGE_LABELS.get(row["state"] or "", "not triaged")
        if row["note"]:
            state = f"{state}: {row['note']}"
        rows.append(
            (
                row["day"].isoformat(),
                row["detector"],
                row["feature"].replace("_", " "),
                f"{row['score']:.0f}",
                state,
                row["reason"] or "",
            )
        )
    return rows


class FindingsPanel(QWidget):
    """The selected identity's findings, newest first, and the triage buttons."""

    sig_finding_selected = Signal(object)
    """Emitted with the selected finding id, or None."""

    sig_triage_requested = Signal(str, str, str)
    """Emitted with (finding id, state, note) when a triage button is clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Findings: select an identity")
        self.model = RowsModel(FINDING_COLUMNS, self)
        self.table = QTableView()
        configure_table(self.table, self.model, wrap=True)
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("Triage note (optional)")
        self.buttons = {
            state: QPushButton(label) for state, label in TRIAGE_LABELS.items()
        }
        self._writes_allowed = True

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Triage the selected finding:"))
        bar.addWidget(self.note_edit, 1)
        for state, button in self.buttons.items():
            bar.addWidget(button)
            button.clicked.connect(lambda _=False, s=state: self._on_triage(s))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addLayout(bar)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.model.modelReset.connect(self._update_buttons)
        self._update_buttons()

    def show_findings(self, title: str, findings: pl.DataFrame) -> None:
        """Show `findings` and select the previously selected one if still there."""
        previous = self.selected_finding()
        colours = {
            index: _TRIAGE_COLOURS[state]
            for index, state in enumerate(findings.get_column("state").to_list())
            if state in _TRIAGE_COLOURS
        }
        self.title.setText(title)
        self.model.set_rows(
            findings.get_column("finding_id").to_list(),
            finding_rows(findings),
            colours,
        )
        row = self.model.row_of(previous) if previous else None
        if row is not None:
            self.table.selectRow(row)
        else:
            self.sig_finding_selected.emit(None)

    def clear(self, title: str = "Findings: select an identity") -> None:
        self.title.setText(title)
        self.model.clear()

    def selected_finding(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.key(rows[0].row()) if rows else None

    def select_finding(self, finding_id: str) -> bool:
        row = self.model.row_of(finding_id)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def set_writes_allowed(self, allowed: bool) -> None:
        """Enable triage only while no analysis is replacing the findings."""
        self._writes_allowed = allowed
        self._update_buttons()

    def _on_selection(self, _selected: QItemSelection, _deselected) -> None:
        self._update_buttons()
        self.sig_finding_selected.emit(self.selected_finding())

    def _update_buttons(self) -> None:
        enabled = self._writes_allowed and self.selected_finding() is not None
        for button in self.buttons.values():
            button.setEnabled(enabled)
        self.note_edit.setEnabled(enabled)

    def _on_triage(self, state: str) -> None:
        finding_id = self.selected_finding()
        if finding_id is not None:
            self.sig_triage_requested.emit(finding_id, state, self.note_edit.text())
            self.note_edit.clear()


class FindingEventsPanel(QWidget):
    """The events behind the selected finding; clicking one shows its detail."""

    sig_event_selected = Signal(object)
    """Emitted with the clicked event id."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Events of the selected finding")
        self.model = RowsModel(EVENT_COLUMNS, self)
        self.table = QTableView()
        configure_table(self.table, self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        self.table.clicked.connect(self._on_clicked)
        self.table.activated.connect(self._on_clicked)

    def show_events(self, events: pl.DataFrame, total: int) -> None:
        shown = events.height
        more = f", the first {shown:,} shown" if shown < total else ""
        self.title.setText(f"Events of the selected finding: {total:,}{more}")
        rows = events.select(
            pl.col("timestamp").dt.to_string("%Y-%m-%d %H:%M:%S"),
            *(
                pl.col(name).cast(pl.String).str.replace_all(r"[\r\n\t]+", " ")
                for name in (
                    "user_name",
                    "event_action",
                    "event_outcome",
                    "host_name",
                    "object",
                    "message",
                )
            ),
        ).fill_null("")
        self.model.set_rows(events.get_column("event_id").to_list(), rows.rows())

    def clear(self) -> None:
        self.title.setText("Events of the selected finding")
        self.model.clear()

    def _on_clicked(self, index) -> None:
        event_id = self.model.key(index.row())
        if event_id is not None:
            self.sig_event_selected.emit(event_id)
