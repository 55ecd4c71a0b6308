"""Windows event log files (.evtx), read with the Rust-backed evtx package.

Each record comes from the parser as JSON text. The per-record Python work is
json.loads and copying the System and EventData fields into a row. The
mapping onto the schema happens per batch in
`importers.windows_events.normalise_security_events`.

- timestamp: System/TimeCreated/@SystemTime (UTC). The record header also
  contains a time (libevtx calls it the written time), which differs from
  SystemTime in the sample logs.
- record_ref: System/EventRecordID; see RecordRefs for repeated ids.
- original: the record as the parser renders it in JSON.

Damage that the file layout or the parser reveals is reported. A truncated
file imports every complete record and sets report.partial_at. Chunks and
records that the parser cannot read go to quarantine under their file record
numbers. NOTE: damage inside a record that still parses (overwritten bytes in
a string value) cannot be detected and gives wrong field values.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import polars as pl
from evtx import PyEvtxParser

from importers.base import (
    EVENT_SCHEMA,
    QUARANTINE_SCHEMA,
    ImportBatch,
    Importer,
    ImportOptions,
    ImportReport,
    SourceError,
    SourceFile,
    conform,
)
from importers.evtx_layout import (
    EVTX_MAGIC,
    EvtxLayout,
    EvtxView,
    chunk_offset,
    read_layout,
)
from importers.registry import register
from importers.timeparse import localize, parse_iso
from importers.windows_events import INPUT_FIELDS, normalise_security_events

logger = logging.getLogger(__name__)

# System fields copied into each row, under the names the mapping reads.
SYSTEM_FIELDS = frozenset(
    {"EventID", "EventRecordID", "SystemTime", "Provider", "Channel", "Computer"}
    | {"Keywords", "Task", "UserID"}
)
ROW_SCHEMA: dict[str, pl.DataType] = {
    **{name: pl.String for name in INPUT_FIELDS},
    "EventRecordID": pl.String,
    "SystemTime": pl.String,
    "original": pl.String,
    "position": pl.Int64,
}
FIELD_MAPPING = {
    "timestamp": "System/TimeCreated/@SystemTime",
    "record_ref": "System/EventRecordID",
    "event_code": "System/EventID",
    "host_name": "System/Computer",
}

# The parser names the records it could not read in its error messages.
_CHUNK_ERROR = re.compile(r"record IDs (\d+)\.\.(\d+)")
_CHUNK_NUMBER_ERROR = re.compile(r"chunk number (\d+)")
_RECORD_ERROR = re.compile(r"record number (\d+)")

# Stop when the parser raises the same error this many times in a row: it is
# no longer moving through the file.
MAX_REPEATED_ERRORS = 100


def _attribute(element: Any, name: str) -> Any:
    if isinstance(element, dict):
        attributes = element.get("#attributes")
        if isinstance(attributes, dict):
            return attributes.get(name)
    return None


def record_row(data: str) -> dict[str, Any]:
    """Flatten one record's JSON into a row of System and event data fields.

    Fields of EventData and of the element inside UserData keep their names.
    A data field named like a System field (the Channel of a log-cleared
    event) is renamed to "Data.<name>".

    Raises:
        ValueError, KeyError, TypeError, AttributeError: the text is not JSON
            or has no Event/System element.
    """
    event = json.loads(data)["Event"]
    system = event["System"]
    row: dict[str, Any] = {}
    user_data = event.get("UserData")
    if isinstance(user_data, dict):
        for element in user_data.values():
            if isinstance(element, dict):
                row.update(element)
    event_data = event.get("EventData")
    if isinstance(event_data, dict):
        row.update(event_data)
    for name in SYSTEM_FIELDS.intersection(row):
        row["Data." + name] = row.pop(name)
    event_id = system.get("EventID")
    row["EventID"] = event_id.get("#text") if isinstance(event_id, dict) else event_id
    row["EventRecordID"] = system.get("EventRecordID")
    row["SystemTime"] = _attribute(system.get("TimeCreated"), "SystemTime")
    row["Provider"] = _attribute(system.get("Provider"), "Name")
    row["UserID"] = _attribute(system.get("Security"), "UserID")
    row["Channel"] = system.get("Channel")
    row["Computer"] = system.get("Computer")
    row["Keywords"] = system.get("Keywords")
    row["Task"] = system.get("Task")
    row["original"] = data
    return row


def _text(value: Any) -> str | None:
    """Render a JSON value as text for a String column."""
    if isinstance(value, dict) and "#text" in value:
        value = value["#text"]
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def rows_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Build a frame of ROW_SCHEMA columns; other fields of the rows are dropped."""
    try:
        return pl.DataFrame(rows, schema=ROW_SCHEMA, strict=False)
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        # A field held a nested value (an element with attributes) or an
        # integer beyond 64 bits, which only a damaged record contains.
        flat = [
            {name: _text(value) for name, value in row.items() if name in ROW_SCHEMA}
            for row in rows
        ]
        for row, source in zip(flat, rows, strict=True):
            row["position"] = source["position"]
        return pl.DataFrame(flat, schema=ROW_SCHEMA, strict=False)


class RecordRefs:
    """Unique, stable record_ref values for the records of one file.

    record_ref is System/EventRecordID. One file can contain an id twice: each
    channel numbers its own events, so events exported together from several
    channels can share ids, and damaged or carved files can repeat records.
    The first record with an id keeps the plain id. A later one, or a record
    without an id, gets "<id>#<position>", where position is its 1-based
    place among the records the parser returns. The same bytes therefore
    always give the same refs, and the "#" form cannot collide with a plain
    id, which never contains "#".

    Memory: the ids seen so far, 8 bytes per record. They are compared only
    when a batch contains an id not above every earlier id.
    """

    def __init__(self) -> None:
        self._seen: list[pl.Series] = []
        self._max: int | None = None
        self.repeated = 0

    def assign(self, ids: pl.Series, positions: pl.Series) -> pl.Series:
        numbers = ids.cast(pl.Int64, strict=False)
        fresh = numbers.is_not_null() & numbers.is_first_distinct()
        smallest = numbers.min()
        if self._max is not None and smallest is not None and smallest <= self._max:
            fresh = fresh & ~numbers.is_in(pl.concat(self._seen).implode())
        self.repeated += int((~fresh).sum())
        largest = numbers.max()
        if largest is not None:
            self._max = largest if self._max is None else max(self._max, largest)
            self._seen.append(numbers.drop_nulls())
        text = ids.str.strip_chars()
        suffixed = text.fill_null("") + "#" + positions.cast(pl.String)
        return pl.select(
            pl.when(fresh).then(text).otherwise(suffixed).alias("record_ref")
        ).to_series()


def _error_ref(message: str, last_number: int | None) -> str:
    chunk = _CHUNK_ERROR.search(message)
    if chunk:
        return f"file records {chunk.group(1)}-{chunk.group(2)}"
    chunk_number = _CHUNK_NUMBER_ERROR.search(message)
    if chunk_number:
        return f"chunk {chunk_number.group(1)}"
    record = _RECORD_ERROR.search(message)
    if record:
        return f"file record {record.group(1)}"
    return "file start" if last_number is None else f"after file record {last_number}"


class _Reader:
    """One pass over a file's records, producing batches."""

    def __init__(self, options: ImportOptions, report: ImportReport) -> None:
        self.options = options
        self.report = report
        self.refs = RecordRefs()
        self.rows: list[dict[str, Any]] = []
        self.quarantine: list[dict[str, Any]] = []
        self.quarantine_refs: set[str] = set()
        # Damage found in the file layout, which the parser may report again.
        self.layout_refs: set[str] = set()
        self.position = 0
        self.last_number: int | None = None

    def quarantine_row(self, ref: str, raw: str | None, error: str) -> None:
        unique, count = ref, 1
        while unique in self.quarantine_refs:
            count += 1
            unique = f"{ref} ({count})"
        self.quarantine_refs.add(unique)
        self.quarantine.append({"record_ref": unique, "raw": raw, "error": error})

    def add_layout(self, layout: EvtxLayout) -> None:
        for index in layout.missing_chunks:
            self.layout_refs.add(f"chunk {index}")
            self.quarantine_row(
                f"chunk {index}",
                None,
                f"chunk {index} at byte {chunk_offset(index)} has no chunk "
                "signature (overwritten or zeroed); its records cannot be read",
            )
        cut = layout.cut_record
        if cut is not None:
            missing = "" if cut.missing_bytes is None else f", {cut.missing_bytes}"
            self.quarantine_row(
                f"file record {cut.number}",
                None,
                f"record incomplete: the file ends at byte {layout.size}{missing} "
                "bytes before the end of the record",
            )

    def records(self, parser: PyEvtxParser) -> Iterator[ImportBatch]:
        iterator = parser.records_json()
        previous_error, repeats = "", 0
        while True:
            try:
                record = next(iterator)
            except StopIteration:
                break
            except (RuntimeError, ValueError) as exc:
                message = str(exc)
                repeats = repeats + 1 if message == previous_error else 1
                previous_error = message
                if repeats > MAX_REPEATED_ERRORS:
                    self.stop(f"the parser raised the same error {repeats} times")
                    break
                ref = _error_ref(message, self.last_number)
                if ref not in self.layout_refs:
                    self.quarantine_row(ref, None, f"EVTX parser error: {message}")
                continue
            except OSError as exc:
                self.stop(f"reading failed: {exc}")
                break
            self.add(record)
            batch_rows = self.options.batch_rows
            if len(self.rows) >= batch_rows or len(self.quarantine) >= batch_rows:
                yield self.flush()
        yield self.flush()

    def stop(self, reason: str) -> None:
        where = "the start of the file"
        if self.last_number is not None:
            where = f"file record {self.last_number}"
        stopped = f"reading stopped after {where}: {reason}"
        earlier = self.report.partial_at
        self.report.partial_at = stopped if not earlier else f"{earlier}; {stopped}"
        logger.warning("reading %s stopped: %s", self.report.path, reason)

    def add(self, record: dict[str, Any]) -> None:
        self.position += 1
        number = record.get("event_record_id")
        self.last_number = number
        data = record.get("data")
        try:
            row = record_row(data)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self.quarantine_row(
                f"file record {number}",
                data,
                f"record JSON is invalid or has no Event/System element: {exc!r}",
            )
            return
        row["position"] = self.position
        self.rows.append(row)

    def flush(self) -> ImportBatch:
        events = None
        if self.rows:
            events = self.events(rows_frame(self.rows))
            self.rows = []
        quarantine = None
        if self.quarantine:
            quarantine = pl.DataFrame(self.quarantine, schema=QUARANTINE_SCHEMA)
            self.quarantine = []
        return ImportBatch(events=events, quarantine=quarantine)

    def events(self, frame: pl.DataFrame) -> pl.DataFrame:
        local, offset = parse_iso(pl.col("SystemTime"))
        utc, offset_min, assumed = localize(local, offset, None)
        refs = self.refs.assign(frame["EventRecordID"], frame["position"])
        times = frame.select(
            utc.alias("timestamp"),
            pl.col("SystemTime").alias("timestamp_raw"),
            offset_min.alias("tz_offset_min"),
            assumed.alias("tz_assumed"),
            pl.col("original"),
        ).with_columns(refs)
        if times["tz_assumed"].any():
            self.report.assume("SystemTime values without an offset were read as UTC")
        events = pl.concat([times, normalise_security_events(frame)], how="horizontal")
        undated = events.filter(pl.col("timestamp").is_null())
        for row in undated.select(
            "record_ref", "original", "timestamp_raw"
        ).iter_rows():
            self.quarantine_row(
                row[0],
                row[1],
                f"invalid or missing System/TimeCreated/@SystemTime: {row[2]!r}",
            )
        return conform(events.filter(pl.col("timestamp").is_not_null()), EVENT_SCHEMA)


@register
class EvtxImporter(Importer):
    """Windows event logs in the binary EVTX format (Security, System, ...)."""

    name = "evtx"
    description = "Windows event log (.evtx)"

    def sniff(self, head: bytes, text: str | None) -> float:
        return 1.0 if head.startswith(EVTX_MAGIC) else 0.0

    def parse(
        self, source: SourceFile, options: ImportOptions, report: ImportReport
    ) -> Iterator[ImportBatch]:
        stream = source.open(seekable=True)
        try:
            layout = read_layout(stream, str(source.path))
            report.mapping.update(FIELD_MAPPING)
            for note in layout.notes:
                report.note(note)
            if layout.partial_at:
                report.partial_at = layout.partial_at
            try:
                parser = PyEvtxParser(EvtxView(stream, layout))
            except (RuntimeError, OSError, ValueError) as exc:
                raise SourceError(
                    f"{source.path}: the EVTX parser rejected the file: {exc}"
                ) from exc
            reader = _Reader(options, report)
            reader.add_layout(layout)
            yield from reader.records(parser)
            if reader.refs.repeated:
                report.note(
                    "records whose EventRecordID is missing or repeats an earlier "
                    f"one: {reader.refs.repeated}; their record_ref is "
                    "'<EventRecordID>#<position in file>'"
                )
        finally:
            source.close()
