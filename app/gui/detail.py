"""The detail pane: every normalised field of one event and its original record."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.background import CaseSession
from workspace import Workspace

# Fields shown in the table, in schema order; `original` has its own box.
_SOURCE_FIELDS = ("source_name", "source_sha256")
_NULL_TEXT = "—"
_NULL_COLOUR = QColor(150, 150, 150)
_MAX_PRETTY_CHARS = 1_000_000


@dataclass(frozen=True)
class EventDetail:
    """One event ready to show: (field, text) pairs and the original record."""

    event_id: str
    fields: list[tuple[str, str | None]]
    original: str
    source_name: str
    source_sha256: str


def build_detail(record: dict | None, event_id: str) -> EventDetail | None:
    """Format the row returned by Workspace.event; runs on a worker thread."""
    if record is None:
        return None
    fields = [
        (name, _format_value(value))
        for name, value in record.items()
        if name != "original" and name not in _SOURCE_FIELDS
    ]
    return EventDetail(
        event_id=event_id,
        fields=fields,
        original=pretty_original(record.get("original")),
        source_name=str(record.get("source_name") or ""),
        source_sha256=str(record.get("source_sha256") or ""),
    )


def load_detail(workspace: Workspace, event_id: str) -> EventDetail | None:
    return build_detail(workspace.event(event_id), event_id)


def pretty_original(text: str | None) -> str:
    """Indent JSON records; any other text is returned as written."""
    if not text:
        return ""
    stripped = text.strip()
    if stripped[:1] in "{[" and len(stripped) <= _MAX_PRETTY_CHARS:
        try:
            return json.dumps(json.loads(stripped), indent=2, ensure_ascii=False)
        except ValueError:
            return text
    return text


def _format_value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class DetailPanel(QWidget):
    """Shows the event selected in the table, loaded on a worker thread."""

    sig_event_shown = Signal(str)
    """Emitted with the event id once its fields are on screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session: CaseSession | None = None
        self._event_id: str | None = None

        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.source_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.fields = QTableWidget(0, 2)
        self.fields.setHorizontalHeaderLabels(["Field", "Value"])
        self.fields.verticalHeader().setVisible(False)
        self.fields.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.fields.setWordWrap(False)
        self.fields.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.fields.horizontalHeader().setStretchLastSection(True)
        self.fields.verticalHeader().setDefaultSectionSize(
            self.fields.fontMetrics().height() + 6
        )
        self.original = QPlainTextEdit()
        self.original.setReadOnly(True)
        self.original.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.original.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.original.setPlaceholderText("Original record of the selected event")

        original_box = QWidget()
        original_layout = QVBoxLayout(original_box)
        original_layout.setContentsMargins(0, 0, 0, 0)
        original_layout.addWidget(QLabel("Original record"))
        original_layout.addWidget(self.original, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.fields)
        self.splitter.addWidget(original_box)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.source_label)
        layout.addWidget(self.splitter, 1)
        self.clear()

    def set_orientation(self, orientation: Qt.Orientation) -> None:
        """Place the original record beside the fields or below them."""
        self.splitter.setOrientation(orientation)

    def set_session(self, session: CaseSession | None) -> None:
        self._session = session
        self.clear()

    def show_event(self, event_id: str | None) -> None:
        """Load and show `event_id`, or clear the pane for None."""
        self._event_id = event_id
        if event_id is None or self._session is None:
            self.clear()
            return
        self._session.query(
            "detail", lambda workspace: load_detail(workspace, event_id), self._show
        )

    def clear(self) -> None:
        if self._session is not None:
            self._session.runner.discard("detail")
        self.source_label.setText("Select an event to see all its fields.")
        self.fields.setRowCount(0)
        self.original.clear()

    def field_text(self, name: str) -> str | None:
        """Return the shown text of field `name`, or None when it is not shown."""
        for row in range(self.fields.rowCount()):
            if self.fields.item(row, 0).text() == name:
                return self.fields.item(row, 1).text()
        return None

    def _show(self, detail: EventDetail | None) -> None:
        if detail is None:
            self.source_label.setText("The event is no longer in the case.")
            return
        self.source_label.setText(
            f"<b>Source:</b> {html.escape(detail.source_name)}<br>"
            f"<b>SHA-256:</b> <code>{detail.source_sha256}</code>"
        )
        self.fields.setRowCount(len(detail.fields))
        for row, (name, text) in enumerate(detail.fields):
            self.fields.setItem(row, 0, QTableWidgetItem(name))
            value = QTableWidgetItem(_NULL_TEXT if text is None else text)
            if text is None:
                value.setForeground(_NULL_COLOUR)
            else:
                value.setToolTip(text[:2000])
            self.fields.setItem(row, 1, value)
        self.original.setPlainText(detail.original)
        self.sig_event_shown.emit(detail.event_id)
