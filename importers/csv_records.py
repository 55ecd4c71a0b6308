"""Split CSV bytes into records with NumPy and read their fields with Polars.

Polars reads quoted fields well but cannot report a ragged row: it pads a
short row with nulls and fails the whole chunk on a long one. So each block
is first split into records here. A newline ends a record when an even
number of quote characters precedes it, and a delimiter separates fields
under the same rule. A binary search in the sorted quote positions gives
that count, and a doubled quote ("") inside a quoted field adds two and
keeps the parity. This gives every record's data row number, first physical
line and field count without a per-row Python loop. Records with the wrong
field count are quarantined, and only the others go to Polars.

A quote inside an unquoted field (``5" disk``, which RFC 4180 forbids) is
not counted, and its record is read by the csv module, as Polars rejects it.

NOTE: a stray quote that touches a delimiter (``12",x`` or ``a, "b``) still
counts and flips the parity, so the records up to the next such quote merge
into one. That record is quarantined with its row and line; nothing is
dropped, but the rows inside it are not imported.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from importers.base import QUARANTINE_SCHEMA, SourceError

logger = logging.getLogger(__name__)

QUOTE = ord('"')
NEWLINE = ord("\n")
RETURN = ord("\r")

ROW = "__vigil_row"
LINE = "__vigil_line"

# A record longer than this without a closing quote stops the import rather
# than holding the rest of the file in memory.
MAX_RECORD_BYTES = 128 << 20

_UNSPLIT = (
    "the record does not split into {expected} fields; check for a quote "
    "character inside an unquoted field"
)


@dataclass
class Records:
    """Complete records found in one buffer, as offsets into `data`.

    Attributes:
        data: the buffer as unsigned bytes.
        starts: offset of each record's first byte.
        stops: offset just past each record's last byte, before CR LF.
        lines: 1-based physical line on which each record starts.
        fields: field count of each record.
        unclosed: true for the last record of the file when its quoted field
            never closes.
        stray: true for records holding a quote inside an unquoted field,
            which Polars rejects.
    """

    data: np.ndarray
    starts: np.ndarray
    stops: np.ndarray
    lines: np.ndarray
    fields: np.ndarray
    unclosed: np.ndarray
    stray: np.ndarray

    def text(self, index: int) -> str:
        start, stop = int(self.starts[index]), int(self.stops[index])
        return self.data[start:stop].tobytes().decode("utf-8", errors="replace")


class RecordSplitter:
    """Cut a stream of UTF-8 blocks at record boundaries.

    `feed` returns the complete records of the bytes seen so far and keeps
    the unfinished tail for the next block. `finish` returns that tail.
    """

    def __init__(self, delimiter: str, name: str) -> None:
        self.delimiter = ord(delimiter)
        self.name = name
        self.pending = b""
        self.lines_before = 0  # physical lines consumed so far

    def feed(self, block: bytes) -> Records | None:
        buffer = self.pending + block if self.pending else block
        records, used = self._split(buffer, final=False)
        self.pending = buffer[used:]
        if len(self.pending) > MAX_RECORD_BYTES:
            raise SourceError(
                f"{self.name}: the record starting at line {self.lines_before + 1} "
                f"has no closing quote within {MAX_RECORD_BYTES >> 20} MiB; "
                "check the file for an unbalanced quote character"
            )
        return records

    def finish(self) -> Records | None:
        records, _ = self._split(self.pending, final=True)
        self.pending = b""
        return records

    def _split(self, buffer: bytes, final: bool) -> tuple[Records | None, int]:
        data = np.frombuffer(buffer, dtype=np.uint8)
        quotes, strays = self._quotes(data)
        newlines = np.flatnonzero(data == NEWLINE)
        ends = newlines[_outside_quotes(quotes, newlines)]
        used = int(ends[-1]) + 1 if len(ends) else 0
        unclosed_tail = False
        if final and used < len(data):
            ends = np.append(ends, len(data))
            unclosed_tail = len(quotes) % 2 == 1
            used = len(data)
        if not len(ends):
            return None, 0
        starts = np.concatenate(([0], ends[:-1] + 1))
        stops = ends.copy()
        has_return = (stops > starts) & (data[np.maximum(stops - 1, 0)] == RETURN)
        stops[has_return] -= 1
        lines = self.lines_before + np.searchsorted(newlines, starts) + 1
        separators = np.flatnonzero(data[:used] == self.delimiter)
        separators = separators[_outside_quotes(quotes, separators)]
        owners = np.searchsorted(ends, separators)
        fields = np.bincount(owners, minlength=len(ends)) + 1
        unclosed = np.zeros(len(ends), dtype=bool)
        unclosed[-1] = unclosed_tail
        stray = np.zeros(len(ends), dtype=bool)
        stray[np.searchsorted(ends, strays[strays < used])] = True
        self.lines_before += int(np.searchsorted(newlines, used))
        records = Records(data[:used], starts, stops, lines, fields, unclosed, stray)
        return records, used

    def _quotes(self, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the positions of field quotes and of stray quotes.

        A field quote opens a field (after a delimiter or a line start), closes
        one (before a delimiter or a line end), or is half of a doubled "".
        Any other quote sits inside an unquoted field, as in ``5" disk``.
        Polars and the csv module read it as text, so it must not flip the
        parity. A quote at the end of an unfinished buffer counts as a
        field quote until the next block shows what follows it.
        """
        quotes = np.flatnonzero(data == QUOTE)
        if not len(quotes):
            return quotes, quotes
        before = np.where(quotes > 0, data[np.maximum(quotes - 1, 0)], NEWLINE)
        last = len(data) - 1
        after = np.where(quotes < last, data[np.minimum(quotes + 1, last)], NEWLINE)
        opens = np.isin(before, (self.delimiter, NEWLINE, QUOTE))
        closes = np.isin(after, (self.delimiter, RETURN, NEWLINE, QUOTE))
        field = opens | closes
        return quotes[field], quotes[~field]


def _outside_quotes(quotes: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Mask of the sorted `positions` preceded by an even number of quotes."""
    if not len(quotes):
        return np.ones(len(positions), dtype=bool)
    return (np.searchsorted(quotes, positions) & 1) == 0


@dataclass
class RecordFrames:
    """The fields of one buffer's records, and the records that were rejected."""

    rows: pl.DataFrame  # source columns plus ROW and LINE
    quarantine: pl.DataFrame
    next_row: int  # number for the first data row of the next buffer


def read_fields(
    records: Records,
    names: list[str],
    delimiter: str,
    first_row: int,
    skip: int = 0,
) -> RecordFrames:
    """Read the fields of `records` into String columns named `names`.

    Blank records are skipped without a row number. The others are numbered
    from `first_row`, and records with the wrong field count or an unclosed
    quote go to quarantine. `skip` drops that many leading records (the
    header) before numbering.

    Returns:
        Rows with the columns `names` plus ROW (data row number) and LINE
        (first physical line), quarantine rows, and the next row number.
    """
    keep = np.ones(len(records.starts), dtype=bool)
    keep[:skip] = False
    keep &= records.stops > records.starts
    numbers = np.cumsum(keep) + first_row - 1
    valid = keep & (records.fields == len(names)) & ~records.unclosed
    bad = keep & ~valid
    quarantine = _rejected(records, np.flatnonzero(bad), numbers, len(names))
    fast = valid & ~records.stray
    rows = _polars_fields(records, fast, names, delimiter)
    slow = valid & records.stray
    if rows is None:
        rows, slow = pl.DataFrame(), valid.copy()
    if slow.any():
        parsed, failed = _python_fields(records, np.flatnonzero(slow), names, delimiter)
        if failed.size:
            valid[failed] = False
            slow[failed] = False
            extra = _rejected(records, failed, numbers, len(names), _UNSPLIT)
            quarantine = pl.concat([quarantine, extra])
        rows = _merged(rows, valid & ~slow, parsed, slow)
    rows = rows.with_columns(
        pl.Series(ROW, numbers[valid], dtype=pl.Int64),
        pl.Series(LINE, records.lines[valid], dtype=pl.Int64),
    )
    return RecordFrames(rows, quarantine, first_row + int(keep.sum()))


def _merged(
    fast_rows: pl.DataFrame,
    fast: np.ndarray,
    slow_rows: pl.DataFrame,
    slow: np.ndarray,
) -> pl.DataFrame:
    """Interleave rows read by Polars and by csv back into record order."""
    if not fast.any():
        return slow_rows
    order = np.argsort(np.concatenate((np.flatnonzero(fast), np.flatnonzero(slow))))
    both = pl.concat([fast_rows, slow_rows])
    return both[order]


def _rejected(
    records: Records,
    indexes: np.ndarray,
    numbers: np.ndarray,
    expected: int,
    reason: str | None = None,
) -> pl.DataFrame:
    refs, raws, errors = [], [], []
    for index in indexes.tolist():
        where = f"row {numbers[index]} (line {records.lines[index]})"
        if reason is not None:
            error = f"{where}: {reason.format(expected=expected)}"
        elif records.unclosed[index]:
            error = f"{where}: a quoted field is not closed before the end of the file"
        else:
            error = (
                f"{where}: expected {expected} fields as in the header, "
                f"found {records.fields[index]}"
            )
        refs.append(str(numbers[index]))
        raws.append(records.text(index))
        errors.append(error)
    return pl.DataFrame(
        {"record_ref": refs, "raw": raws, "error": errors}, schema=QUARANTINE_SCHEMA
    )


def _polars_fields(
    records: Records, valid: np.ndarray, names: list[str], delimiter: str
) -> pl.DataFrame | None:
    """Read the valid records with Polars, or return None if it disagrees."""
    count = int(valid.sum())
    if count == 0:
        return pl.DataFrame(schema={name: pl.String for name in names})
    if count == len(valid):
        payload = records.data.tobytes()
    else:
        # Each record owns its bytes up to the next record's start, newline included.
        spans = np.diff(np.append(records.starts, len(records.data)))
        payload = records.data[np.repeat(valid, spans)].tobytes()
    schema = {f"c{i}": pl.String for i in range(len(names))}
    try:
        frame = pl.read_csv(
            payload,
            has_header=False,
            schema=schema,
            separator=delimiter,
            quote_char='"',
            encoding="utf8-lossy",
            empty_string_is_null=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        logger.debug("Polars could not read a CSV block, using csv: %s", exc)
        return None
    if frame.height != count:
        logger.debug("Polars read %s of %s CSV records, using csv", frame.height, count)
        return None
    frame.columns = names
    return frame


def _python_fields(
    records: Records, indexes: np.ndarray, names: list[str], delimiter: str
) -> tuple[pl.DataFrame, np.ndarray]:
    """Read records one by one with the csv module, the slow path.

    Used for records with a quote inside an unquoted field, which Polars
    rejects, and for a whole block when Polars fails on it. Returns the rows
    and the indexes of records that do not split into exactly one row of
    len(names) fields.
    """
    rows: list[list[str]] = []
    failed: list[int] = []
    for index in indexes.tolist():
        text = records.text(index)
        try:
            parsed = list(
                csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            )
        except csv.Error:
            parsed = []
        if len(parsed) == 1 and len(parsed[0]) == len(names):
            rows.append(parsed[0])
        else:
            failed.append(index)
    frame = pl.DataFrame(rows, schema={name: pl.String for name in names}, orient="row")
    return frame, np.asarray(failed, dtype=np.int64)


def iter_records(
    blocks: Iterator[bytes], splitter: RecordSplitter
) -> Iterator[Records]:
    """Yield the records of every block, then those of the unfinished tail."""
    for block in blocks:
        records = splitter.feed(block)
        if records is not None:
            yield records
    records = splitter.finish()
    if records is not None:
        yield records
