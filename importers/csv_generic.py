"""Generic CSV importer: any delimited export with a header row.

The delimiter (comma, semicolon, tab or pipe) is detected from the first
lines. UTF-8 with or without a byte order mark and UTF-16 with a byte order
mark are read. Quoted fields may contain delimiters and newlines. Each
record's reference is its 1-based data row number, which counts neither the
header nor blank lines. Quarantine messages also give the physical line on
which the record starts. Sentinel SecurityEvent and Syslog table exports are
recognised by their columns and converted by sentinel_tables; every other
header goes through the automatic or file-based column mapping.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polars as pl

from importers import sentinel_tables
from importers.base import (
    HEAD_BYTES,
    ImportBatch,
    Importer,
    ImportOptions,
    ImportReport,
    SourceError,
    SourceFile,
    decode_head,
)
from importers.csv_records import LINE, ROW, RecordSplitter, iter_records, read_fields
from importers.mapping import MappingFile, checked_zone, load_mapping_file
from importers.registry import register
from importers.tabular_events import (
    ORIGINAL,
    REF,
    WHERE,
    mapped_rows_for,
    note_unmapped,
)
from importers.textstream import (
    BLOCK_BYTES,
    LEGACY_ENCODING,
    source_encoding,
    utf8_blocks,
)

DELIMITERS = (",", ";", "\t", "|")
SNIFF_SCORE = 0.3  # low, so that importers for specific CSV exports win
_SAMPLE_ROWS = 50
_MIN_CONSISTENT = 0.5
_MAX_HEADER_NAME = 100
# Log lines often contain a clock time or key=value text, header names do not.
_NOT_A_NAME = re.compile(r"\d{1,2}:\d{2}:\d{2}|=|^\d")

Converter = Callable[[pl.DataFrame], ImportBatch]


@dataclass(frozen=True)
class Dialect:
    """The delimiter found and the header it splits, with the sample's data rows."""

    delimiter: str
    header: list[str]
    data_rows: int


def detect_dialect(text: str, complete: bool) -> Dialect | None:
    """Find the delimiter that splits the header and the next rows alike.

    Args:
        text: the first part of the file, decoded.
        complete: true when `text` is the whole file, so its last row is whole.

    Returns:
        The delimiter giving the most header fields among those for which at
        half of the sampled data rows have the header's field count, or
        None when no candidate splits the header into two or more fields.
    """
    stripped = text.lstrip()
    if not stripped or stripped[0] in "{[":
        return None
    best: tuple[tuple[float, int], Dialect] | None = None
    for delimiter in DELIMITERS:
        rows = _sample_rows(text, delimiter, complete)
        if not rows or len(rows[0]) < 2:
            continue
        header, data = rows[0], rows[1:]
        matching = sum(len(row) == len(header) for row in data)
        share = matching / len(data) if data else 0.5
        if data and share < _MIN_CONSISTENT:
            continue
        score = (share, len(header))
        if best is None or score > best[0]:
            best = (score, Dialect(delimiter, header, len(data)))
    return best[1] if best else None


def _sample_rows(text: str, delimiter: str, complete: bool) -> list[list[str]]:
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) > _SAMPLE_ROWS:
                break
    except csv.Error:
        complete = False
    if not complete and len(rows) > 1:
        rows.pop()  # the head may end inside this row
    return rows


def looks_like_header(names: list[str]) -> bool:
    """Check that fields read as column names rather than data."""
    named = [name.strip() for name in names if name.strip()]
    if len(named) < len(names) - 1 or not named:
        return False
    if any(len(name) > _MAX_HEADER_NAME or _NOT_A_NAME.search(name) for name in named):
        return False
    return sum(any(ch.isalpha() for ch in name) for name in named) * 2 >= len(named)


def header_names(text: str, delimiter: str) -> list[str]:
    """Split the header record into unique column names.

    Repeated names get a suffix (``Name``, ``Name_2``). An unnamed column,
    such as the index pandas writes first, keeps the empty name.
    """
    fields = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    names: list[str] = []
    for field in fields:
        name, count = field.strip(), 1
        while name in names:
            count += 1
            name = f"{field.strip()}_{count}"
        names.append(name)
    return names


def with_helpers(rows: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Add the record reference, location and original JSON text to CSV rows."""
    return rows.with_columns(
        pl.col(ROW).cast(pl.String).alias(REF),
        pl.format("row {} (line {})", pl.col(ROW), pl.col(LINE)).alias(WHERE),
        pl.struct(names).struct.json_encode().alias(ORIGINAL),
    )


@register
class CsvImporter(Importer):
    """Delimited text with a header row, mapped onto the event schema by name."""

    name = "csv"
    description = "CSV or other delimited export with a header row"
    block_bytes = BLOCK_BYTES  # bytes read at a time; records may span blocks

    def sniff(self, head: bytes, text: str | None) -> float:
        if text is None:
            return 0.0
        dialect = detect_dialect(text, complete=len(head) < HEAD_BYTES)
        if dialect is None or not looks_like_header(dialect.header):
            return 0.0
        return SNIFF_SCORE if dialect.data_rows else SNIFF_SCORE / 2

    def parse(
        self, source: SourceFile, options: ImportOptions, report: ImportReport
    ) -> Iterator[ImportBatch]:
        mapping_file = (
            load_mapping_file(options.mapping_file) if options.mapping_file else None
        )
        tz = checked_zone(options.tz, f"{source.path}: invalid tz option")
        encoding = source_encoding(source)
        if encoding == LEGACY_ENCODING:
            report.note("the file is not valid UTF-8; it was read as Windows-1252")
        head = source.head()
        dialect = detect_dialect(decode_head(head) or "", len(head) < HEAD_BYTES)
        delimiter = dialect.delimiter if dialect else ","
        if delimiter != ",":
            report.note(f"fields are separated by {delimiter!r}")
        splitter = RecordSplitter(delimiter, str(source.path))
        names: list[str] | None = None
        convert: Converter | None = None
        next_row = 1
        for records in iter_records(
            utf8_blocks(source, encoding, self.block_bytes), splitter
        ):
            skip = 0
            if names is None:
                filled = (records.stops > records.starts).nonzero()[0]
                if not len(filled):
                    continue
                skip = int(filled[0]) + 1
                names = header_names(records.text(skip - 1), delimiter)
                convert = self._converter(source, names, mapping_file, tz, report)
            frames = read_fields(records, names, delimiter, next_row, skip)
            next_row = frames.next_row
            if frames.quarantine.height:
                yield ImportBatch(quarantine=frames.quarantine)
            rows = with_helpers(frames.rows, names)
            for batch in rows.iter_slices(options.batch_rows):
                yield convert(batch)
        if names is None:
            raise SourceError(
                f"{source.path}: no header row found; the file is empty or blank"
            )
        if next_row == 1:
            report.note("the file contains a header row and no data rows")

    def _converter(
        self,
        source: SourceFile,
        names: list[str],
        mapping_file: MappingFile | None,
        tz: str | None,
        report: ImportReport,
    ) -> Converter:
        if names and not names[0]:
            report.note(
                "the first column has no name (a pandas index column); "
                "it is kept in original only"
            )
        if mapping_file is None:
            table = sentinel_tables.converter_for(names, report)
            if table is not None:
                return table
        convert = mapped_rows_for(source.path, names, mapping_file, tz, report)
        note_unmapped(report, list(convert.mapping.unmapped))
        return convert
