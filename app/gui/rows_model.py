"""A read-only table model over rows of display text, for the small risk tables.

The risk view's tables hold at most a few thousand rows (identities with a
score on one day, one identity's findings, one finding's events, the notes),
so each is loaded whole and shown through this model. Every row carries a
key (an identity, finding id, event id or note id) for selection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

AnyIndex = QModelIndex | QPersistentModelIndex
TOOLTIP_CHARS = 2_000


@dataclass(frozen=True)
class TextColumn:
    """A column: header, width in pixels, right alignment for numbers, tooltip."""

    header: str
    width: int
    numeric: bool = False
    tooltip: str = ""


class RowsModel(QAbstractTableModel):
    """Rows of text with one key each; `set_rows` replaces them all."""

    def __init__(self, columns: Sequence[TextColumn], parent=None) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._keys: list[str] = []
        self._rows: list[tuple[str, ...]] = []
        self._colours: dict[int, QColor] = {}

    def set_rows(
        self,
        keys: list[str],
        rows: list[tuple[str, ...]],
        colours: dict[int, QColor] | None = None,
    ) -> None:
        """Show `rows`; `colours` maps a row number to its text colour."""
        self.beginResetModel()
        self._keys, self._rows = list(keys), list(rows)
        self._colours = dict(colours or {})
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([], [])

    def key(self, row: int) -> str | None:
        if 0 <= row < len(self._keys):
            return self._keys[row]
        return None

    def row_of(self, key: str) -> int | None:
        try:
            return self._keys.index(key)
        except ValueError:
            return None

    def text(self, row: int, column: int) -> str:
        return self._rows[row][column]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        text = self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return text
        if role == Qt.ItemDataRole.ToolTipRole:
            return text[:TOOLTIP_CHARS] if text else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            vertical = Qt.AlignmentFlag.AlignTop
            if self.columns[index.column()].numeric:
                return Qt.AlignmentFlag.AlignRight | vertical
            return Qt.AlignmentFlag.AlignLeft | vertical
        if role == Qt.ItemDataRole.ForegroundRole and index.row() in self._colours:
            return QBrush(self._colours[index.row()])
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tooltip or None
        return None


def configure_table(
    table: QTableView, model: RowsModel, lines: int = 1, wrap: bool = False
) -> None:
    """Set up `table` for `model`: single-row selection and column widths.

    Rows are `lines` text lines high, or, with `wrap`, as high as their
    wrapped text; wrapping measures every row, so use it on small tables.
    """
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(wrap)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    vertical = table.verticalHeader()
    vertical.setVisible(False)
    vertical.setDefaultSectionSize(table.fontMetrics().lineSpacing() * lines + 8)
    if wrap:
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    else:
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setStretchLastSection(True)
    for index, column in enumerate(model.columns):
        header.resizeSection(index, column.width)
