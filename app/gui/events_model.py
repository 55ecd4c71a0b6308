"""The events table model: keyset pages fetched lazily on a worker thread.

`rowCount` reports the rows fetched so far. When the view scrolls near the
end it calls `fetchMore`, which requests the next page of PAGE_SIZE rows;
the rows are appended with beginInsertRows when the page arrives. Only a
new filter or sort order resets the model.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import polars as pl
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from app.gui.background import CaseSession
from workspace import Workspace
from workspace.queries import EventFilter, PageCursor, fetch_page

logger = logging.getLogger(__name__)

PAGE_SIZE = 500
TOOLTIP_CHARS = 2_000
_FAILURE_COLOUR = QColor(170, 30, 30)


@dataclass(frozen=True)
class Column:
    """A table column: the queried column, its header and its default width."""

    key: str
    header: str
    width: int


COLUMNS = (
    Column("timestamp", "Time (UTC)", 205),  # room for microseconds
    Column("user_name", "User", 130),
    Column("event_action", "Action", 130),
    Column("event_outcome", "Outcome", 66),
    Column("host_name", "Host", 100),
    Column("source_ip", "Source IP", 112),
    Column("object", "Object", 180),
    Column("message", "Message", 300),
)
_OUTCOME = next(i for i, c in enumerate(COLUMNS) if c.key == "event_outcome")
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class EventPage:
    """One fetched page, already turned into display text on the worker."""

    event_ids: list[str]
    rows: list[tuple[str, ...]]
    cursor: PageCursor


def display_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Turn a page of events into one line of text per cell.

    Times print as ISO 8601 in UTC with a fraction only when the source had
    one; line breaks and tabs inside values become single spaces.
    """
    text_columns = [c.key for c in COLUMNS if c.key != "timestamp"]
    return frame.select(
        pl.col("timestamp").dt.to_string("%Y-%m-%d %H:%M:%S%.f").fill_null(""),
        *(
            pl.col(key).cast(pl.String).str.replace_all(r"[\r\n\t]+", " ").fill_null("")
            for key in text_columns
        ),
    )


def load_page(
    workspace: Workspace, event_filter: EventFilter, cursor: PageCursor, limit: int
) -> EventPage:
    """Fetch the page after `cursor` and format it; runs on a worker thread."""
    frame = fetch_page(workspace.con, event_filter, cursor, limit)
    rows = display_frame(frame).rows() if frame.height else []
    return EventPage(frame.get_column("event_id").to_list(), rows, cursor)


class EventsModel(QAbstractTableModel):
    """Events matching a filter, in a sort order, fetched one page at a time."""

    sig_page_loaded = Signal(int)
    """Emitted with the number of rows a page added (0 for an empty page)."""

    sig_load_failed = Signal(str)

    def __init__(self, parent=None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._session: CaseSession | None = None
        self._page_size = page_size
        self._filter = EventFilter()
        self._cursor = PageCursor()
        self._event_ids: list[str] = []
        self._rows: list[tuple[str, ...]] = []
        self._loading = False

    # Query state ---------------------------------------------------------------

    def set_session(self, session: CaseSession | None) -> None:
        """Show the events of another case (or none) from the first page."""
        self._session = session
        self._reload()

    def set_filter(self, event_filter: EventFilter) -> None:
        if event_filter != self._filter:
            self._filter = event_filter
            self._reload()

    @property
    def event_filter(self) -> EventFilter:
        return self._filter

    def reload(self) -> None:
        """Fetch the first page again, e.g. after an import added events."""
        self._reload()

    def is_loading(self) -> bool:
        return self._loading

    def event_id(self, row: int) -> str | None:
        if 0 <= row < len(self._event_ids):
            return self._event_ids[row]
        return None

    def _reload(self) -> None:
        self.beginResetModel()
        self._event_ids = []
        self._rows = []
        self._cursor = PageCursor(
            sort=self._cursor.sort, descending=self._cursor.descending
        )
        self._loading = False
        if self._session is not None:
            self._session.runner.discard("events-page")
        self.endResetModel()
        self._request_page()

    def _request_page(self) -> None:
        if self._session is None or self._cursor.exhausted or self._loading:
            return
        self._loading = True
        event_filter = self._filter
        cursor = dataclasses.replace(self._cursor)
        limit = self._page_size
        self._session.query(
            "events-page",
            lambda workspace: load_page(workspace, event_filter, cursor, limit),
            self._on_page,
            self._on_page_failed,
        )

    def _on_page(self, page: EventPage) -> None:
        self._loading = False
        self._cursor = page.cursor
        if page.rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self._event_ids.extend(page.event_ids)
            self.endInsertRows()
        self.sig_page_loaded.emit(len(page.rows))

    def _on_page_failed(self, error: str) -> None:
        self._loading = False
        self._cursor.exhausted = True
        self.sig_load_failed.emit(error)

    # Qt model interface ----------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: AnyIndex) -> bool:
        return (
            not parent.isValid()
            and self._session is not None
            and not self._cursor.exhausted
            and not self._loading
        )

    def fetchMore(self, parent: AnyIndex) -> None:
        if not parent.isValid():
            self._request_page()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        text = self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return text
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(text)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == _OUTCOME:
            return QBrush(_FAILURE_COLOUR) if text == "failure" else None
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
            return COLUMNS[section].header
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder):
        """Re-query in the order of `column`; the model resets to its first page."""
        key = COLUMNS[column].key
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self._cursor.sort, self._cursor.descending):
            return
        self._cursor = PageCursor(sort=key, descending=descending)
        self._reload()


def _tooltip(text: str) -> str | None:
    if not text:
        return None
    if len(text) > TOOLTIP_CHARS:
        return text[:TOOLTIP_CHARS] + " …"
    return text
