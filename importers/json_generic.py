"""Generic JSON Lines importer: one JSON object per line.

Each batch of lines is read with Polars' NDJSON reader. Nested objects are
flattened to dotted paths ("userIdentity.arn"), and every value becomes text
(arrays as JSON), so the column mapping receives the same kind of frame as
for CSV. The record reference is the 1-based line number and `original` the line.
A line that is not a JSON object goes to quarantine with its line number.

Pretty-printed JSON documents, arrays and {"Records": [...]} files are not
claimed here; other importers read them.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator

import polars as pl

from importers.base import (
    HEAD_BYTES,
    QUARANTINE_SCHEMA,
    ImportBatch,
    Importer,
    ImportOptions,
    ImportReport,
    SourceError,
    SourceFile,
)
from importers.mapping import MappingFile, checked_zone, load_mapping_file
from importers.registry import register
from importers.tabular_events import (
    HELPER_COLUMNS,
    ORIGINAL,
    REF,
    WHERE,
    MappedRows,
    mapped_rows_for,
    note_unmapped,
)
from importers.textstream import (
    BLOCK_BYTES,
    LEGACY_ENCODING,
    source_encoding,
    utf8_blocks,
)

logger = logging.getLogger(__name__)

SNIFF_SCORE = 0.3  # low, so that importers for specific JSON sources win
_SNIFF_LINES = 5
_LINE = "__vigil_line"
_TEXT = "__vigil_text"


def _is_object_line(line: str) -> bool:
    try:
        value = json.loads(line)
    except ValueError:
        return False
    return isinstance(value, dict)


def _is_records_document(line: str) -> bool:
    """True for a one-line {"Records": [...]} document (a CloudTrail delivery file)."""
    value = json.loads(line)
    return len(value) == 1 and isinstance(next(iter(value.values())), list)


def line_batches(blocks: Iterator[bytes], batch_rows: int) -> Iterator[pl.DataFrame]:
    """Cut UTF-8 blocks into frames of at most `batch_rows` numbered lines.

    Returns frames with the 1-based line number and the line text without its
    line ending. Blank lines are numbered but left out.
    """
    pending = b""
    next_line = 1
    for block in itertools.chain(blocks, [None]):
        if block is None:
            complete, pending = pending, b""
            if not complete:
                break
        else:
            data = pending + block
            cut = data.rfind(b"\n") + 1
            complete, pending = data[:cut], data[cut:]
            if not complete:
                continue
        texts = complete.decode("utf-8", errors="replace").split("\n")
        if block is not None:
            texts.pop()  # empty text after the final newline
        frame = pl.DataFrame(
            {
                _LINE: pl.int_range(next_line, next_line + len(texts), eager=True),
                _TEXT: pl.Series(texts, dtype=pl.String).str.strip_suffix("\r"),
            }
        )
        next_line += len(texts)
        frame = frame.filter(pl.col(_TEXT).str.strip_chars() != "")
        yield from frame.iter_slices(batch_rows)


def flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """Flatten struct columns to dotted names and turn every value into text."""
    while any(isinstance(dtype, pl.Struct) for dtype in frame.dtypes):
        columns = []
        for name, dtype in frame.schema.items():
            if isinstance(dtype, pl.Struct):
                columns += [
                    pl.col(name).struct.field(inner.name).alias(f"{name}.{inner.name}")
                    for inner in dtype.fields
                ]
            else:
                columns.append(pl.col(name))
        frame = frame.select(_unique(columns))
    return frame.select(_as_text(name, dtype) for name, dtype in frame.schema.items())


def _unique(columns: list[pl.Expr]) -> list[pl.Expr]:
    seen: set[str] = set()
    unique = []
    for column in columns:
        name = column.meta.output_name()
        if name not in seen:
            seen.add(name)
            unique.append(column)
    return unique


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if dtype == pl.String:
        return column
    if isinstance(dtype, (pl.List, pl.Array)):
        # JSON-encode through a one-field struct: {"v":[...]} -> [...]
        encoded = pl.struct(column.alias("v")).struct.json_encode()
        text = encoded.str.strip_prefix('{"v":').str.strip_suffix("}")
        return pl.when(column.is_not_null()).then(text).alias(name)
    return column.cast(pl.String).alias(name)


@register
class JsonLinesImporter(Importer):
    """JSON Lines (NDJSON) with one object per line, mapped by key name."""

    name = "jsonl"
    description = "JSON Lines: one JSON object per line"
    block_bytes = BLOCK_BYTES  # bytes read at a time; lines may span blocks

    def sniff(self, head: bytes, text: str | None) -> float:
        if text is None:
            return 0.0
        lines = text.splitlines()
        if len(head) >= HEAD_BYTES:
            lines = lines[:-1]  # the head may end inside this line
        sample = [line for line in lines if line.strip()][:_SNIFF_LINES]
        if not sample or not _is_object_line(sample[0]):
            return 0.0
        if len(sample) == 1 and _is_records_document(sample[0]):
            return 0.0
        objects = sum(_is_object_line(line) for line in sample)
        return SNIFF_SCORE if objects * 2 >= len(sample) else 0.0

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
        mapper = _BatchMapper(source, mapping_file, tz, report)
        for lines in line_batches(
            utf8_blocks(source, encoding, self.block_bytes), options.batch_rows
        ):
            rows, quarantine = read_objects(lines)
            if quarantine.height:
                yield ImportBatch(quarantine=quarantine)
            if rows.height:
                yield mapper.convert(rows)
        mapper.finish()


def read_objects(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse a batch of lines into flattened text columns plus helper columns.

    Returns:
        The rows that are JSON objects, and quarantine rows for the others.
    """
    objects = _read_ndjson(lines.get_column(_TEXT))
    bad = pl.DataFrame(schema=QUARANTINE_SCHEMA)
    if objects is None:
        # Find the bad lines without a Python loop: json_path_match("$")
        # returns null for text that is not valid JSON.
        whole = pl.col(_TEXT).str.json_path_match("$")
        is_object = whole.is_not_null() & whole.str.starts_with("{")
        checked = lines.with_columns(is_object.alias("ok"))
        bad = _quarantine(checked.filter(~pl.col("ok")))
        lines = checked.filter(pl.col("ok")).drop("ok")
        objects = _read_ndjson(lines.get_column(_TEXT))
        if objects is None:
            objects, failed = _read_one_by_one(lines)
            bad = pl.concat([bad, _quarantine(lines.filter(failed))])
            lines = lines.filter(~failed)
    rows = flatten(objects).with_columns(
        lines.get_column(_LINE).cast(pl.String).alias(REF),
        pl.format("line {}", lines.get_column(_LINE)).alias(WHERE),
        lines.get_column(_TEXT).alias(ORIGINAL),
    )
    return rows, bad


def _read_ndjson(texts: pl.Series) -> pl.DataFrame | None:
    if texts.is_empty():
        return pl.DataFrame()
    payload = texts.str.join("\n").item().encode("utf-8")
    try:
        frame = pl.read_ndjson(payload, infer_schema_length=None)
    except pl.exceptions.PolarsError as exc:
        logger.debug("NDJSON batch rejected by Polars: %s", exc)
        return None
    return frame if frame.height == len(texts) else None


def _read_one_by_one(lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """Parse lines with the json module, the slow path for a batch Polars rejects.

    Values are flattened to dotted keys and kept as text. Returns the rows
    and a mask of the lines that are not JSON objects.
    """
    rows: list[dict[str, str | None]] = []
    failed: list[bool] = []
    for text in lines.get_column(_TEXT).to_list():
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        failed.append(not isinstance(value, dict))
        if isinstance(value, dict):
            rows.append(dict(_flat_items(value, "")))
    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
    return frame.select(pl.all().cast(pl.String)), pl.Series(failed, dtype=pl.Boolean)


def _flat_items(value: dict, prefix: str) -> Iterator[tuple[str, str | None]]:
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            yield from _flat_items(item, f"{name}.")
        elif item is None or isinstance(item, str):
            yield name, item
        else:
            yield name, json.dumps(item)


def _quarantine(lines: pl.DataFrame) -> pl.DataFrame:
    return lines.select(
        pl.col(_LINE).cast(pl.String).alias("record_ref"),
        pl.col(_TEXT).alias("raw"),
        pl.format("line {}: not a JSON object", pl.col(_LINE)).alias("error"),
    )


class _BatchMapper:
    """Keep one column mapping per distinct set of keys across batches.

    The first batch's mapping goes to the report. A later batch whose keys
    differ gets its own mapping, and where that takes a schema column from
    another key, a report note names it.
    """

    def __init__(
        self,
        source: SourceFile,
        mapping_file: MappingFile | None,
        tz: str | None,
        report: ImportReport,
    ) -> None:
        self.source = source
        self.mapping_file = mapping_file
        self.tz = tz
        self.report = report
        self.converters: dict[tuple[str, ...], MappedRows | None] = {}
        self.unmapped: dict[str, None] = {}  # ordered set
        self.seen_rows = False

    def convert(self, rows: pl.DataFrame) -> ImportBatch:
        rows = self._with_mapped_columns(rows)
        columns = [name for name in rows.columns if name not in HELPER_COLUMNS]
        key = tuple(columns)
        if key not in self.converters:
            self.converters[key] = self._converter(columns, rows)
        self.seen_rows = True
        converter = self.converters[key]
        if converter is None:
            return ImportBatch(quarantine=_no_time(rows))
        return converter(rows)

    def finish(self) -> None:
        note_unmapped(self.report, list(self.unmapped))
        if not self.seen_rows:
            self.report.note("the file contains no JSON objects")

    def _converter(self, columns: list[str], rows: pl.DataFrame) -> MappedRows | None:
        first = dict(self.report.mapping)
        try:
            converter = mapped_rows_for(
                self.source.path, columns, self.mapping_file, self.tz, self.report
            )
        except SourceError:
            if not self.converters:
                raise
            return None
        self.unmapped.update(dict.fromkeys(converter.mapping.unmapped))
        if first:
            line = rows.get_column(REF).first()
            for target, column in converter.mapping.columns.items():
                if first.get(target, column) != column:
                    self.report.note(
                        f"from line {line} on, some objects give {target} "
                        f"from {column!r}"
                    )
            self.report.mapping.clear()
            self.report.mapping.update({**converter.mapping.columns, **first})
        return converter

    def _with_mapped_columns(self, rows: pl.DataFrame) -> pl.DataFrame:
        # After the first batch, a key named in the mapping file may be absent
        # from every line of a batch, so it is added there as null.
        if self.mapping_file is None or not self.converters:
            return rows
        missing = [
            name
            for name in self.mapping_file.columns.values()
            if name not in rows.columns
        ]
        return rows.with_columns(
            pl.lit(None, pl.String).alias(name) for name in missing
        )


def _no_time(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.select(
        pl.col(REF).alias("record_ref"),
        pl.col(ORIGINAL).alias("raw"),
        (pl.col(WHERE) + pl.lit(": no time field recognised in this object")).alias(
            "error"
        ),
    )
