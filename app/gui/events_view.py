"""The events panel: a debounced text filter, the match count and the table."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.events_model import COLUMNS, EventsModel

FILTER_DELAY_MS = 250


class EventsPanel(QWidget):
    """Filter box, "N events match" line and the lazily filled events table."""

    sig_filter_text_changed = Signal(str)
    """Emitted with the filter text once typing has paused for FILTER_DELAY_MS."""

    sig_event_selected = Signal(object)
    """Emitted with the event id of the current row, or None."""

    def __init__(self, model: EventsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(
            "Filter: text in user, host, IP, object, message, action or code"
        )
        self.filter_edit.setClearButtonEnabled(True)
        self.count_label = QLabel("No case open")
        self.count_label.setMinimumWidth(220)
        self.count_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)

        self.table = QTableView()
        self.table.setModel(model)
        self._configure_table()

        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

        self.filter_edit.textChanged.connect(self._filter_timer.start)
        self._filter_timer.timeout.connect(self._on_filter_timeout)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        model.modelReset.connect(self._on_model_reset)

    def _configure_table(self) -> None:
        table = self.table
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        for index, column in enumerate(COLUMNS):
            header.resizeSection(index, column.width)
        table.setSortingEnabled(True)

    def set_count_text(self, text: str) -> None:
        self.count_label.setText(text)

    def filter_text(self) -> str:
        return self.filter_edit.text()

    def _on_filter_timeout(self) -> None:
        self.sig_filter_text_changed.emit(self.filter_edit.text())

    def _on_selection(self, selected: QItemSelection, _deselected) -> None:
        rows = selected.indexes()
        event_id = self.model.event_id(rows[0].row()) if rows else None
        self.sig_event_selected.emit(event_id)

    def _on_model_reset(self) -> None:
        self.sig_event_selected.emit(None)
