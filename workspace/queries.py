"""Parameterised event queries for the views: filters, pages and histograms.

Pages use keyset pagination on (sort column, event_id), so the thousandth
page costs the same as the first. SQL is built only from the fixed column
names below; every value travels as a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import polars as pl

TABLE_COLUMNS = (
    "timestamp",
    "user_name",
    "event_action",
    "event_outcome",
    "host_name",
    "source_ip",
    "object",
    "message",
    "event_code",
    "event_category",
    "source_id",
    "record_ref",
)
SORTABLE = frozenset(TABLE_COLUMNS)
TEXT_SEARCH_COLUMNS = (
    "user_name",
    "host_name",
    "source_ip",
    "object",
    "message",
    "event_action",
    "event_code",
    "target_user",
)
# Sort keys of null values: nulls sort last and still page correctly.
_NULL_KEY = {
    "timestamp": "TIMESTAMP '9999-12-31'",
    "source_id": "2147483647",
}


@dataclass(frozen=True)
class EventFilter:
    """Filter the investigator applies to the events.

    Attributes:
        text: case-insensitive substring matched against user, host, IP,
            object, message, action and code.
        start: first instant included (UTC).
        end: first instant excluded (UTC).
        users: only these user names, when not empty.
        source_ids: only events from these sources, when not empty.
        categories: only these event categories, when not empty.
    """

    text: str = ""
    start: datetime | None = None
    end: datetime | None = None
    users: tuple[str, ...] = ()
    source_ids: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()

    def where(self) -> tuple[str, list]:
        """Return the WHERE clause (with leading ``WHERE`` or empty) and its params."""
        clauses: list[str] = []
        params: list = []
        if self.text.strip():
            haystack = " || ' ' || ".join(
                f"coalesce({column}, '')" for column in TEXT_SEARCH_COLUMNS
            )
            clauses.append(f"({haystack}) ILIKE ?")
            params.append(f"%{_escape_like(self.text.strip())}%")
        if self.start is not None:
            clauses.append("timestamp >= ?")
            params.append(self.start)
        if self.end is not None:
            clauses.append("timestamp < ?")
            params.append(self.end)
        for column, values in (
            ("user_name", self.users),
            ("source_id", self.source_ids),
            ("event_category", self.categories),
        ):
            if values:
                clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        if not clauses:
            return "", params
        return "WHERE " + " AND ".join(clauses), params


@dataclass
class PageCursor:
    """Position of the next page: the sort key and event id of the last row."""

    sort: str = "timestamp"
    descending: bool = False
    last_key: object = None
    last_id: str | None = None
    exhausted: bool = False
    extra: dict = field(default_factory=dict)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sort_key(column: str) -> str:
    null_key = _NULL_KEY.get(column, "chr(1114111)")
    return f"coalesce({column}, {null_key})"


def fetch_page(
    con: duckdb.DuckDBPyConnection,
    event_filter: EventFilter,
    cursor: PageCursor,
    limit: int = 500,
) -> pl.DataFrame:
    """Fetch the next `limit` rows after `cursor` and advance it.

    The frame has ``event_id`` and the columns of TABLE_COLUMNS.
    """
    if cursor.sort not in SORTABLE:
        raise ValueError(f"cannot sort by {cursor.sort!r}")
    where, params = event_filter.where()
    key = _sort_key(cursor.sort)
    direction = "DESC" if cursor.descending else "ASC"
    if cursor.last_id is not None:
        op = "<" if cursor.descending else ">"
        keyset = f"({key} {op} ? OR ({key} = ? AND event_id {op} ?))"
        where = f"{where} AND {keyset}" if where else f"WHERE {keyset}"
        params += [cursor.last_key, cursor.last_key, cursor.last_id]
    columns = ", ".join(TABLE_COLUMNS)
    sql = (
        f"SELECT event_id, {columns}, {key} AS _sort_key FROM events {where} "
        f"ORDER BY {key} {direction}, event_id {direction} LIMIT {int(limit)}"
    )
    frame = con.execute(sql, params).pl()
    if frame.height < limit:
        cursor.exhausted = True
    if frame.height:
        cursor.last_key = frame.get_column("_sort_key")[-1]
        cursor.last_id = frame.get_column("event_id")[-1]
    return frame.drop("_sort_key")


def count_events(con: duckdb.DuckDBPyConnection, event_filter: EventFilter) -> int:
    where, params = event_filter.where()
    return con.execute(f"SELECT count(*) FROM events {where}", params).fetchone()[0]


def time_bounds(
    con: duckdb.DuckDBPyConnection, event_filter: EventFilter | None = None
) -> tuple[datetime | None, datetime | None]:
    where, params = (event_filter or EventFilter()).where()
    return con.execute(
        f"SELECT min(timestamp), max(timestamp) FROM events {where}", params
    ).fetchone()


def histogram(
    con: duckdb.DuckDBPyConnection,
    event_filter: EventFilter,
    start: datetime,
    end: datetime,
    bins: int = 200,
) -> pl.DataFrame:
    """Count events in `bins` equal slices of [start, end).

    Returns a frame with ``bin`` (0-based), ``bin_start`` and ``events``;
    empty bins are included with zero.
    """
    width_us = max(1, int((end - start).total_seconds() * 1_000_000 / bins) + 1)
    where, params = event_filter.where()
    extra = "timestamp >= ? AND timestamp < ?"
    where = f"{where} AND {extra}" if where else f"WHERE {extra}"
    sql = (
        "SELECT (epoch_us(timestamp) - epoch_us(?::TIMESTAMP)) // ? AS bin, "
        f"count(*) AS events FROM events {where} GROUP BY bin"
    )
    counts = con.execute(sql, [start, width_us, *params, start, end]).pl()
    all_bins = pl.DataFrame({"bin": pl.int_range(0, bins, eager=True, dtype=pl.Int64)})
    frame = all_bins.join(
        counts.with_columns(pl.col("bin").cast(pl.Int64)), on="bin", how="left"
    ).with_columns(pl.col("events").fill_null(0))
    return frame.with_columns(
        bin_start=pl.lit(start) + pl.duration(microseconds=pl.col("bin") * width_us)
    )


def fetch_quarantine(
    con: duckdb.DuckDBPyConnection, source_id: int, offset: int = 0, limit: int = 500
) -> pl.DataFrame:
    """Fetch one page of a source's quarantined records, in record order.

    Numeric record references (line numbers) sort as numbers, others as
    text after them. The frame has ``record_ref``, ``error`` and ``raw``.
    """
    return con.execute(
        "SELECT record_ref, error, raw FROM quarantine WHERE source_id = ? "
        "ORDER BY try_cast(record_ref AS BIGINT) NULLS LAST, record_ref "
        "LIMIT ? OFFSET ?",
        [source_id, int(limit), int(offset)],
    ).pl()
