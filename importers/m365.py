"""Microsoft 365 unified audit log in its three common export shapes.

- Purview audit search CSV export: RecordId, CreationDate, RecordType,
  Operation, UserId and AuditData, the full audit record as JSON text (older
  exports name the columns UserIds and Operations).
- Office 365 Management Activity API content: audit records as JSON Lines
  or JSON arrays (CreationTime, Id, Operation, Workload, UserId, ClientIP...).
- Microsoft Sentinel OfficeActivity table exported as CSV (TimeGenerated,
  UserId, ClientIP, Operation, Parameters as JSON text...).

CreationTime carries no zone designator, but the Office 365 Management
Activity API schema (common schema, CreationTime) defines it as the time in
UTC, so it is read as UTC and not flagged as assumed. The US-style
CreationDate column of the Purview CSV is used only when AuditData has no
CreationTime. It is then read in the tz option (UTC by default) and flagged
as assumed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import numpy as np
import polars as pl

from importers.base import (
    ImportBatch,
    Importer,
    ImportOptions,
    ImportReport,
    SourceError,
    SourceFile,
)
from importers.cloudfields import clean, finish_batch
from importers.csv_records import LINE, ROW, RecordSplitter, iter_records, read_fields
from importers.json_importer import decode_records
from importers.jsondoc import one_line, read_json_records
from importers.jsonfields import JsonFields, no_errors
from importers.m365_operations import AUDIT_FIELDS, PARAMETER_LIST, event_columns
from importers.registry import register
from importers.textstream import source_encoding, utf8_blocks

AUDIT = JsonFields(AUDIT_FIELDS)
PARAMETERS = JsonFields({"Parameters": PARAMETER_LIST})

# OfficeActivity column names that differ from the audit record's.
OFFICE_ACTIVITY_NAMES = {
    "OfficeWorkload": "Workload",
    "OfficeObjectId": "ObjectId",
    "Site_Url": "SiteUrl",
    "Client_IPAddress": "ClientIPAddress",
}
# Log Analytics portal exports label time columns "TimeGenerated [UTC]".
_UTC_LABEL = re.compile(r"\s*\[UTC\]$")

MAPPING = {
    "timestamp": "CreationTime (Purview: AuditData.CreationTime; Sentinel: "
    "TimeGenerated)",
    "event_code": "Operation",
    "user_name": "UserId",
    "target_user": "Parameters User, MailboxOwnerUPN, TargetUserOrGroupName "
    "or ObjectId when it is a UPN",
    "source_ip": "ClientIP without port (ActorIpAddress, ClientIPAddress)",
    "user_agent": "UserAgent or ExtendedProperties UserAgent",
    "object": "forwarding address, ObjectId, SourceFileName, SiteUrl",
    "event_outcome": "ResultStatus; UserLoginFailed is a failure",
}
_ASSUMED = (
    "Purview CreationDate and Sentinel TimeGenerated values without an offset "
    "were read in the tz option (UTC by default)"
)

_JSON_KEYS = re.compile(r'"(?:Workload|RecordType)"\s*:')


def _header(start: str) -> list[str] | None:
    line = start.split("\n", 1)[0].rstrip("\r")
    try:
        return next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return None


def _shape(names: list[str]) -> str | None:
    columns = {_UTC_LABEL.sub("", name) for name in names}
    if "AuditData" in columns and columns & {"CreationDate", "CreationTime"}:
        return "purview"
    if {"TimeGenerated", "Operation", "UserId"} <= columns:
        return "office-activity"
    return None


@register
class M365AuditImporter(Importer):
    """Microsoft 365 unified audit log records (Purview, API, Sentinel)."""

    name = "m365-audit"
    description = "Microsoft 365 unified audit log (Purview CSV, API JSON, Sentinel)"

    def sniff(self, head: bytes, text: str | None) -> float:
        if text is None:
            return 0.0
        start = text.lstrip("\ufeff \t\r\n")
        if start.startswith(("{", "[")):
            has_keys = '"CreationTime"' in text and '"Operation"' in text
            return 0.9 if has_keys and _JSON_KEYS.search(text) else 0.0
        names = _header(start)
        shape = _shape(names) if names else None
        if shape == "purview":
            return 0.9
        if shape == "office-activity":
            return 0.85
        return 0.0

    def parse(
        self, source: SourceFile, options: ImportOptions, report: ImportReport
    ) -> Iterator[ImportBatch]:
        report.mapping.update(MAPPING)
        start = source.head().decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
        if start.startswith(("{", "[")):
            report.note("Office 365 Management Activity API JSON")
            yield from self._json(source, options, report)
        else:
            yield from self._csv(source, options, report)

    def _json(
        self, source: SourceFile, options: ImportOptions, report: ImportReport
    ) -> Iterator[ImportBatch]:
        for batch in read_json_records(source, options.batch_rows, report):
            if batch.quarantine is not None:
                yield ImportBatch(quarantine=batch.quarantine)
            if not batch.records.height:
                continue
            frame, errors = decode_records(AUDIT, batch.records)
            time_raw = clean(pl.col("CreationTime"))
            yield _events(frame, errors, time_raw, "CreationTime", options, report)

    def _csv(
        self, source: SourceFile, options: ImportOptions, report: ImportReport
    ) -> Iterator[ImportBatch]:
        shape = None
        for names, rows, quarantine in _csv_blocks(source):
            if shape is None:
                shape = _shape(names)
                if shape is None:
                    raise SourceError(
                        f"{source.path}: not a Microsoft 365 audit export: the "
                        "header has neither AuditData nor TimeGenerated, "
                        "Operation and UserId"
                    )
                report.note(
                    "Purview audit search CSV export"
                    if shape == "purview"
                    else "Sentinel OfficeActivity CSV export"
                )
            if quarantine.height:
                yield ImportBatch(quarantine=quarantine)
            for part in rows.iter_slices(options.batch_rows):
                if shape == "purview":
                    yield _purview_events(part, names, options, report)
                else:
                    yield _office_activity_events(part, names, options, report)


def _csv_blocks(
    source: SourceFile,
) -> Iterator[tuple[list[str], pl.DataFrame, pl.DataFrame]]:
    """Yield the header names, the rows and the rejected rows of each block.

    Rows carry record_ref (the data row number, as the csv importer uses)
    and original (the row as JSON text).
    """
    splitter = RecordSplitter(",", str(source.path))
    names: list[str] | None = None
    next_row = 1
    for records in iter_records(utf8_blocks(source, source_encoding(source)), splitter):
        skip = 0
        if names is None:
            filled = np.flatnonzero(records.stops > records.starts)
            if not len(filled):
                continue
            skip = int(filled[0]) + 1
            names = next(csv.reader([records.text(skip - 1)]))
        frames = read_fields(records, names, ",", next_row, skip)
        next_row = frames.next_row
        rows = frames.rows.with_columns(
            pl.col(ROW).cast(pl.String).alias("record_ref"),
            pl.struct(names).struct.json_encode().alias("original"),
        ).drop(ROW, LINE)
        yield names, rows, frames.quarantine
    if names is None:
        raise SourceError(f"{source.path}: missing header row: the file is empty")


def _purview_events(
    rows: pl.DataFrame, names: list[str], options: ImportOptions, report: ImportReport
) -> ImportBatch:
    audit, errors = AUDIT.decode(rows.select(one_line(pl.col("AuditData"))).to_series())
    columns = set(names)
    fallbacks = {
        "Operation": "Operation" if "Operation" in columns else "Operations",
        "UserId": "UserId" if "UserId" in columns else "UserIds",
    }
    audit = audit.with_columns(
        pl.coalesce(pl.col(field), rows.get_column(column))
        if column in columns
        else pl.col(field)
        for field, column in fallbacks.items()
    )
    frame = pl.concat(
        [
            audit,
            rows.select("record_ref", "original", _csv_column(rows, "CreationDate")),
        ],
        how="horizontal",
    )
    iso_raw = clean(pl.col("CreationTime"))
    time_raw = pl.coalesce(iso_raw, clean(pl.col("CreationDate")))
    return _events(
        frame,
        errors,
        time_raw,
        "AuditData.CreationTime",
        options,
        report,
        unmarked_is_utc=iso_raw.is_not_null(),
    )


def _csv_column(rows: pl.DataFrame, name: str) -> pl.Expr:
    if name in rows.columns:
        return pl.col(name)
    return pl.lit(None, dtype=pl.String).alias(name)


def _office_activity_events(
    rows: pl.DataFrame, names: list[str], options: ImportOptions, report: ImportReport
) -> ImportBatch:
    labelled_utc = any(_UTC_LABEL.search(name) for name in names)
    rows = rows.rename(
        {name: _UTC_LABEL.sub("", name) for name in names if _UTC_LABEL.search(name)}
    )
    rows = rows.rename(
        {old: new for old, new in OFFICE_ACTIVITY_NAMES.items() if old in rows.columns}
    )
    rows = _with_parameters(rows, report)

    columns = []
    for field, dtype in AUDIT_FIELDS.items():
        if field in rows.columns:
            columns.append(pl.col(field).cast(dtype, strict=False))
        else:
            columns.append(pl.lit(None, dtype=dtype).alias(field))
    frame = rows.select(*columns, "record_ref", "original", "TimeGenerated")

    # "4/18/2020, 4:50:30.000 AM" as the Log Analytics portal writes it
    # becomes "4/18/2020 4:50:30 AM" for parsing.
    time_raw = clean(pl.col("TimeGenerated"))
    readable = time_raw.str.replace(r"^(\d+/\d+/\d{4}),", "$1").str.replace(
        r"\.\d+ ([AP]M)$", " $1"
    )
    return _events(
        frame,
        no_errors(frame.height),
        time_raw,
        "TimeGenerated",
        options,
        report,
        unmarked_is_utc=pl.lit(labelled_utc),
        time_parse=readable,
    )


def _with_parameters(rows: pl.DataFrame, report: ImportReport) -> pl.DataFrame:
    """Replace the Parameters JSON text by the list of its Name/Value pairs."""
    if "Parameters" not in rows.columns:
        return rows
    text = clean(pl.col("Parameters"))
    wrapped = pl.format('{{"Parameters": {}}}', one_line(text)).fill_null("{}")
    decoded, errors = PARAMETERS.decode(rows.select(wrapped).to_series())
    if errors.is_not_null().any():
        report.note("some Parameters values are not valid JSON; they were ignored")
    return rows.drop("Parameters").with_columns(decoded)


def _events(
    frame: pl.DataFrame,
    errors: pl.Series,
    time_raw: pl.Expr,
    time_field: str,
    options: ImportOptions,
    report: ImportReport,
    unmarked_is_utc: pl.Expr | None = None,
    time_parse: pl.Expr | None = None,
) -> ImportBatch:
    """Map audit record fields to events.

    `unmarked_is_utc` decides per row whether a time without an offset is
    UTC, and is always true when omitted. `time_parse` is the time text to
    parse where it differs from `time_raw`.
    """
    utc_rule = pl.lit(True) if unmarked_is_utc is None else unmarked_is_utc
    extra = [] if time_parse is None else [time_parse.alias("time_parse")]
    mapped = frame.select(
        "record_ref",
        "original",
        time_raw.alias("time_raw"),
        *extra,
        utc_rule.alias("_unmarked_is_utc"),
        *event_columns(),
    )
    return finish_batch(
        mapped,
        errors,
        report,
        time_field=time_field,
        tz=options.tz,
        unmarked_is_utc="_unmarked_is_utc",
        assumed_note=_ASSUMED,
    )
