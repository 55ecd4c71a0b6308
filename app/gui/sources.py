"""The sources panel: imported files, their import reports and quarantined rows."""

from __future__ import annotations

import html
import json
from datetime import datetime

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.gui.background import CaseSession
from workspace.queries import fetch_quarantine

AnyIndex = QModelIndex | QPersistentModelIndex
QUARANTINE_PAGE = 500
_PARTIAL_COLOUR = QColor(170, 90, 0)

# (column in the sources table, header, width)
SOURCE_COLUMNS = (
    ("name", "File", 200),
    ("format", "Format", 90),
    ("status", "Status", 60),
    ("events", "Events", 70),
    ("quarantined", "Quarantined", 92),
    ("duplicates", "Duplicates", 76),
    ("first_ts", "First (UTC)", 140),
    ("last_ts", "Last (UTC)", 140),
    ("sha256", "SHA-256", 200),
)
_NUMERIC = {"events", "quarantined", "duplicates"}


def _cell_text(key: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if key in _NUMERIC:
        return f"{value:,}"
    return str(value)


class SourcesModel(QAbstractTableModel):
    """The rows of the sources table; a case has few, so all are held."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._sources: list[dict] = []

    def set_sources(self, sources: list[dict]) -> None:
        self.beginResetModel()
        self._sources = sources
        self.endResetModel()

    def source(self, row: int) -> dict | None:
        return self._sources[row] if 0 <= row < len(self._sources) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._sources)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(SOURCE_COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        source = self._sources[index.row()]
        key = SOURCE_COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell_text(key, source.get(key))
        if role == Qt.ItemDataRole.ToolTipRole:
            value = source.get("path") if key == "name" else source.get(key)
            return None if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and key in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and key == "status":
            return QBrush(_PARTIAL_COLOUR) if source.get(key) != "ok" else None
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ):
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
        ):
            return SOURCE_COLUMNS[section][1]
        return None


class QuarantineModel(QAbstractTableModel):
    """Quarantined records of one source, fetched in pages as the view scrolls."""

    sig_page_loaded = Signal(int)
    HEADERS = ("Record", "Error", "Raw")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._session: CaseSession | None = None
        self._source_id: int | None = None
        self._rows: list[tuple[str, str, str]] = []
        self._exhausted = True
        self._loading = False

    def set_source(self, session: CaseSession | None, source_id: int | None) -> None:
        self.beginResetModel()
        self._session = session
        self._source_id = source_id
        self._rows = []
        self._exhausted = session is None or source_id is None
        self._loading = False
        if session is not None:
            session.runner.discard("quarantine-page")
        self.endResetModel()
        self.fetchMore(QModelIndex())

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def canFetchMore(self, parent: AnyIndex) -> bool:
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: AnyIndex) -> None:
        if not self.canFetchMore(parent):
            return
        self._loading = True
        source_id, offset = self._source_id, len(self._rows)

        def load(workspace) -> list[tuple]:
            frame = fetch_quarantine(workspace.con, source_id, offset, QUARANTINE_PAGE)
            return frame.fill_null("").rows()

        self._session.query("quarantine-page", load, self._on_page)

    def _on_page(self, rows: list[tuple]) -> None:
        self._loading = False
        self._exhausted = len(rows) < QUARANTINE_PAGE
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self.sig_page_loaded.emit(len(rows))

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        text = str(self._rows[index.row()][index.column()])
        if role == Qt.ItemDataRole.DisplayRole:
            return text.replace("\n", " ")
        if role == Qt.ItemDataRole.ToolTipRole:
            return text[:2000]
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ):
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
        ):
            return self.HEADERS[section]
        return None


def report_html(source: dict) -> str:
    """Render a source's import report (the `report` JSON column) as HTML."""
    try:
        report = json.loads(source.get("report") or "{}")
    except ValueError:
        report = {}
    esc = html.escape
    parts = [
        f"<h3>{esc(str(source.get('name', '')))}</h3>",
        f"<p><b>Path:</b> {esc(str(source.get('path', '')))}<br>",
        f"<b>Format:</b> {esc(str(source.get('format', '')))}, importer version "
        f"{esc(str(source.get('importer_version', '')))}<br>",
        f"<b>Status:</b> {esc(str(source.get('status', '')))}; "
        f"{source.get('events') or 0:,} events, "
        f"{source.get('quarantined') or 0:,} quarantined, "
        f"{source.get('duplicates') or 0:,} duplicates skipped<br>",
        f"<b>Time range (UTC):</b> {esc(_cell_text('', source.get('first_ts')))} → "
        f"{esc(_cell_text('', source.get('last_ts')))}<br>",
        f"<b>Imported (UTC):</b> {esc(_cell_text('', source.get('imported_at')))}<br>",
        f"<b>Size:</b> {source.get('size') or 0:,} bytes<br>",
        f"<b>SHA-256:</b> <code>{esc(str(source.get('sha256', '')))}</code></p>",
    ]
    if report.get("partial_at"):
        parts.append(f"<p><b>Partial:</b> {esc(str(report['partial_at']))}</p>")
    parts += _html_list("Assumptions", report.get("assumptions"))
    parts += _html_list("Notes", report.get("notes"))
    mapping = report.get("mapping") or {}
    if mapping:
        rows = "".join(
            f"<tr><td>{esc(str(column))}</td><td>← {esc(str(field))}</td></tr>"
            for column, field in mapping.items()
        )
        parts.append(f"<p><b>Field mapping</b></p><table>{rows}</table>")
    parts += _html_list("Quarantine reasons (first kinds)", report.get("errors"))
    return "".join(parts)


def _html_list(title: str, items: list | None) -> list[str]:
    if not items:
        return []
    entries = "".join(f"<li>{html.escape(str(item))}</li>" for item in items)
    return [f"<p><b>{title}</b></p><ul>{entries}</ul>"]


class SourcesPanel(QWidget):
    """Imported files; the selected file's report and quarantined rows."""

    sig_sources_loaded = Signal(int)
    """Emitted with the number of sources after a refresh."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session: CaseSession | None = None
        self.model = SourcesModel(self)
        self.quarantine_model = QuarantineModel(self)

        self.table = _read_only_table(self.model)
        for index, (_key, _header, width) in enumerate(SOURCE_COLUMNS):
            self.table.horizontalHeader().resizeSection(index, width)
        self.report = QTextBrowser()
        self.report.setOpenLinks(False)
        self.report.setPlaceholderText("Select a file to see its import report.")
        self.quarantine = _read_only_table(self.quarantine_model)
        self.quarantine.horizontalHeader().resizeSection(0, 70)
        self.quarantine.horizontalHeader().resizeSection(1, 260)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.report, "Import report")
        self.tabs.addTab(self.quarantine, "Quarantined rows")

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.table.selectionModel().selectionChanged.connect(self._on_selection)

    def set_session(self, session: CaseSession | None) -> None:
        self._session = session
        self.refresh()

    def refresh(self) -> None:
        """Reload the list of sources on a worker thread."""
        if self._session is None:
            self._show_sources([])
            return
        self._session.query(
            "sources",
            lambda workspace: workspace.sources().to_dicts(),
            self._show_sources,
        )

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def _show_sources(self, sources: list[dict]) -> None:
        selected = self._selected_source_id()
        self.model.set_sources(sources)
        rows = [s["source_id"] for s in sources]
        if selected in rows:
            self.table.selectRow(rows.index(selected))
        else:
            self._show_source(None)
        self.sig_sources_loaded.emit(len(sources))

    def _selected_source_id(self) -> int | None:
        indexes = self.table.selectionModel().selectedRows()
        source = self.model.source(indexes[0].row()) if indexes else None
        return source["source_id"] if source else None

    def _on_selection(self, selected: QItemSelection, _deselected) -> None:
        rows = selected.indexes()
        self._show_source(self.model.source(rows[0].row()) if rows else None)

    def _show_source(self, source: dict | None) -> None:
        if source is None:
            self.report.clear()
            self.quarantine_model.set_source(None, None)
            self.tabs.setTabText(1, "Quarantined rows")
            return
        self.report.setHtml(report_html(source))
        self.quarantine_model.set_source(self._session, source["source_id"])
        self.tabs.setTabText(1, f"Quarantined rows ({source['quarantined'] or 0:,})")


def _read_only_table(model: QAbstractTableModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table
