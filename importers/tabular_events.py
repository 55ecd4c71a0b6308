"""Turn rows of text columns (CSV rows, flattened JSON objects) into events.

The readers hand over frames whose source columns are all String, plus three
helper columns: the record reference, the record's location for error
messages ("row 17 (line 20)" or "line 17") and the original record text.
`date_rows` reads the time column and splits off the rows that cannot be
dated; `mapped_events` fills the event columns from a ColumnMapping.
"""

from __future__ import annotations

import polars as pl

from importers.action_keywords import classify_actions
from importers.base import (
    EVENT_SCHEMA,
    QUARANTINE_SCHEMA,
    ImportBatch,
    ImportReport,
    SourceError,
    conform,
)
from importers.line_format import shorten, user_columns
from importers.mapping import (
    ColumnMapping,
    MappingFile,
    missing_time_message,
    resolve_mapping,
)
from importers.tabular_times import add_times

REF = "__vigil_ref"
WHERE = "__vigil_where"
ORIGINAL = "__vigil_original"
HELPER_COLUMNS = (REF, WHERE, ORIGINAL)
_IN = "__vigil_in."  # prefix of the cleaned, mapped source columns
_DATE_TIME = "__vigil_date_time"

# An explicit code column wins over the action text only when its values are
# this short: "4624" or "AccessDenied" are codes, a 36-character UUID is not.
_MAX_CODE_CHARS = 16
# per_value joins when rows outnumber distinct values by at least this factor.
_DISTINCT_SHARE = 4
_IDENTITY_KEYS = ("userName", "arn", "principalId", "accountId")
_MAX_LISTED_COLUMNS = 40
_SUCCESS = r"^(succe|ok$|true$|pass|allow|accept|permit|granted|0$|[23]\d\d$)"
_FAILURE = r"fail|unsuccess|denied|deny|error|false|block|reject|^[45]\d\d$"


def clean(expr: pl.Expr) -> pl.Expr:
    """Strip text and turn empty values and "-" into null."""
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text.is_in(["", "-"])).then(None).otherwise(text)


def date_rows(
    frame: pl.DataFrame,
    time_column: str,
    time_format: str | None,
    tz: str | None,
    report: ImportReport,
    label: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Add the time columns and split off the rows whose time cannot be read.

    `label` names the time column in messages (default: `time_column`).

    Returns:
        The dated rows, and quarantine rows (record_ref, raw, error) naming
        the row, the column and the value that failed.
    """
    label = label or time_column
    dated = frame.with_columns(clean(pl.col(time_column)).alias("timestamp_raw"))
    dated = add_times(dated, time_format, tz)
    failed = pl.col("timestamp").is_null()
    hint = (
        f"does not match the time_format {time_format!r}"
        if time_format
        else "is not a recognised date and time; give its layout as "
        "time_format in a mapping file"
    )
    error = (
        pl.when(pl.col("timestamp_raw").is_null())
        .then(pl.col(WHERE) + pl.lit(f": the time column {label!r} is empty"))
        .otherwise(
            pl.col(WHERE)
            + pl.lit(": time '")
            + pl.col("timestamp_raw")
            + pl.lit(f"' in column {label!r} {hint}")
        )
    )
    quarantine = dated.filter(failed).select(
        pl.col(REF).alias("record_ref"),
        pl.col(ORIGINAL).alias("raw"),
        error.alias("error"),
    )
    dated = dated.filter(~failed)
    if dated.height and dated.get_column("tz_assumed").any():
        zone = tz or "UTC"
        report.assume(
            f"times in column {label!r} carry no UTC offset; they were read as {zone}"
        )
    return dated, conform(quarantine, QUARANTINE_SCHEMA)


def identity_name(raw: pl.Expr) -> pl.Expr:
    """Pick the account name out of an identity object written as text.

    Some exports put a whole identity in the user column, such as
    ``{'type': 'AWSAccount', 'principalId': '', 'accountId': 'ANONYMOUS_PRINCIPAL'}``.
    The first non-empty of userName, arn, principalId and accountId is used;
    other text is returned unchanged.
    """
    text = clean(raw)
    picks = [
        text.str.extract(rf"""['"]{key}['"]\s*:\s*['"]([^'"]+)['"]""")
        for key in _IDENTITY_KEYS
    ]
    return (
        pl.when(text.str.starts_with("{"))
        .then(pl.coalesce(*picks, text))
        .otherwise(text)
    )


def ip_address(raw: pl.Expr) -> pl.Expr:
    """Clean an IP column, dropping a port written after an IPv4 or [IPv6]."""
    text = clean(raw)
    return pl.coalesce(
        text.str.extract(r"^(\d{1,3}(?:\.\d{1,3}){3}):\d+$"),
        text.str.extract(r"^\[([0-9A-Fa-f:.]+)\](?::\d+)?$"),
        text,
    )


def outcome(raw: pl.Expr) -> pl.Expr:
    """Map result text (Success, Failed, 403, true...) onto success/failure/unknown."""
    text = clean(raw).str.to_lowercase()
    return (
        pl.when(text.str.contains(_FAILURE))
        .then(pl.lit("failure"))
        .when(text.str.contains(_SUCCESS))
        .then(pl.lit("success"))
        .otherwise(pl.lit("unknown"))
    )


def per_value(
    frame: pl.DataFrame, column: str, *steps: dict[str, pl.Expr]
) -> pl.DataFrame:
    """Compute columns that depend on `column` alone once per distinct value.

    Users, outcomes, actions and addresses repeat across rows, so the string
    work runs on the distinct values and a join spreads the results. When
    most values are distinct (addresses, say), the columns are computed on
    the rows directly. Each step is a dict of new column names to
    expressions on the columns so far.
    """
    table = frame.select(pl.col(column).unique())
    direct = table.height * _DISTINCT_SHARE > frame.height
    for step in steps:
        columns = [expr.alias(name) for name, expr in step.items()]
        if direct:
            frame = frame.with_columns(columns)
        else:
            table = table.with_columns(columns)
    if direct:
        return frame
    return frame.join(
        table, on=column, how="left", nulls_equal=True, maintain_order="left"
    )


def _derived_columns(inputs: pl.DataFrame, mapping: ColumnMapping) -> pl.DataFrame:
    """Add the user, target, outcome, address and action columns."""
    columns = mapping.columns
    if "user_name" in columns:
        column = _IN + "user_name"
        # DOMAIN\user gives user and DOMAIN. A UPN stays whole, domain copied.
        user, domain = user_columns(pl.col("_identity"))
        inputs = per_value(
            inputs,
            column,
            {"_identity": identity_name(pl.col(column))},
            {"user_name": user, "_user_domain": domain},
        ).drop("_identity")
    if "target_user" in columns:
        target = user_columns(pl.col(_IN + "target_user"))[0]
        inputs = per_value(inputs, _IN + "target_user", {"target_user": target})
    if "source_ip" in columns:
        address = ip_address(pl.col(_IN + "source_ip"))
        inputs = per_value(inputs, _IN + "source_ip", {"source_ip": address})
    if "event_outcome" in columns:
        result = outcome(pl.col(_IN + "event_outcome"))
        inputs = per_value(inputs, _IN + "event_outcome", {"event_outcome": result})
    if "event_action" in columns:
        texts = inputs.get_column(_IN + "event_action").unique().drop_nulls()
        table = classify_actions(texts, mapping.event_category)
        inputs = inputs.join(
            table.rename({"text": _IN + "event_action"}),
            on=_IN + "event_action",
            how="left",
            maintain_order="left",
        )
    return inputs


def mapped_events(dated: pl.DataFrame, mapping: ColumnMapping) -> pl.DataFrame:
    """Fill the event columns of dated rows from the mapped source columns."""
    columns = mapping.columns
    inputs = dated.select(
        pl.col(REF).alias("record_ref"),
        pl.col(ORIGINAL).alias("original"),
        "timestamp",
        "timestamp_raw",
        "tz_offset_min",
        "tz_assumed",
        *(clean(pl.col(name)).alias(_IN + target) for target, name in columns.items()),
    )
    events = _derived_columns(inputs, mapping)

    def source(target: str) -> pl.Expr:
        if target in columns:
            return pl.col(_IN + target)
        return pl.lit(None, pl.String)

    action_text = source("event_action")
    code = source("event_code")
    if "event_action" in columns:
        short_code = pl.when(code.str.len_chars() <= _MAX_CODE_CHARS).then(code)
        event_code = pl.coalesce(short_code, action_text.str.to_lowercase())
        category = pl.col("event_category").fill_null(
            pl.lit(mapping.event_category or "other")
        )
        action = pl.col("event_action").fill_null(pl.lit("other"))
    else:
        event_code = code
        category = pl.lit(mapping.event_category or "other")
        action = pl.lit("other")
    if "event_outcome" in columns:
        result = pl.col("event_outcome")
    else:
        failed = action == "logon-failed"
        result = pl.when(failed).then(pl.lit("failure")).otherwise(pl.lit("unknown"))
    user_domain = pl.coalesce(
        source("user_domain"),
        pl.col("_user_domain") if "user_name" in columns else pl.lit(None, pl.String),
    )
    size = source("bytes").str.replace_all(",", "").cast(pl.Float64, strict=False)
    events = events.with_columns(
        event_code.alias("event_code"),
        category.alias("event_category"),
        action.alias("event_action"),
        result.alias("event_outcome"),
        user_domain.alias("user_domain"),
        source("source_country").alias("source_country"),
        source("source_city").alias("source_city"),
        source("host_name").alias("host_name"),
        source("object").alias("object"),
        size.cast(pl.Int64, strict=False).alias("bytes"),
        source("user_agent").alias("user_agent"),
    )
    summary = summary_message(
        pl.coalesce(action_text, code),
        pl.col("user_name") if "user_name" in columns else pl.lit(None, pl.String),
        pl.col("source_ip") if "source_ip" in columns else pl.lit(None, pl.String),
        pl.col("object"),
    )
    events = events.with_columns(
        pl.coalesce(source("message"), summary).alias("message")
    )
    return conform(events, EVENT_SCHEMA)


def summary_message(
    what: pl.Expr, user: pl.Expr, ip: pl.Expr, target: pl.Expr
) -> pl.Expr:
    """Build a one-line message such as ``PutObject by bob from 10.0.0.5 on a.txt``."""
    text = pl.concat_str(
        [
            pl.coalesce(what, pl.lit("event")),
            pl.lit(" by ") + user,
            pl.lit(" from ") + ip,
            pl.lit(" on ") + target,
        ],
        ignore_nulls=True,
    )
    return shorten(text)


class MappedRows:
    """Convert batches of text rows to events with one column mapping."""

    def __init__(
        self, mapping: ColumnMapping, tz: str | None, report: ImportReport
    ) -> None:
        self.mapping = mapping
        self.tz = mapping.tz or tz
        self.report = report

    def __call__(self, frame: pl.DataFrame) -> ImportBatch:
        time_column = self.mapping.columns["timestamp"]
        label = time_column
        if self.mapping.date_column is not None:
            label = f"{self.mapping.date_column} + {time_column}"
            date_and_time = [
                clean(pl.col(self.mapping.date_column)),
                clean(pl.col(time_column)),
            ]
            frame = frame.with_columns(
                pl.concat_str(date_and_time, separator=" ").alias(_DATE_TIME)
            )
            time_column = _DATE_TIME
        dated, quarantine = date_rows(
            frame, time_column, self.mapping.time_format, self.tz, self.report, label
        )
        return ImportBatch(
            events=mapped_events(dated, self.mapping), quarantine=quarantine
        )


def mapped_rows_for(
    path: object,
    columns: list[str],
    mapping_file: MappingFile | None,
    tz: str | None,
    report: ImportReport,
) -> MappedRows:
    """Resolve the mapping for `columns` and store it in `report.mapping`.

    The caller notes the unmapped columns (ColumnMapping.unmapped).

    Raises:
        SourceError: no time column was found, or the mapping file names a
            column the source lacks.
    """
    mapping = resolve_mapping(columns, mapping_file)
    if "timestamp" not in mapping.columns:
        raise SourceError(missing_time_message(path, columns))
    report.mapping.update(mapping.columns)
    if mapping.other_times:
        report.note(
            f"times read from column {mapping.columns['timestamp']!r}; column(s) "
            f"{', '.join(map(repr, mapping.other_times))} also hold a time and were "
            "not used (name the column in a --mapping file to choose another)"
        )
    if mapping.date_column is not None:
        report.mapping["timestamp"] = (
            f"{mapping.date_column} + {mapping.columns['timestamp']}"
        )
    return MappedRows(mapping, tz, report)


def note_unmapped(report: ImportReport, columns: list[str]) -> None:
    """Name the source columns that feed no event column in the report."""
    if not columns:
        return
    listed = ", ".join(columns[:_MAX_LISTED_COLUMNS])
    if len(columns) > _MAX_LISTED_COLUMNS:
        listed += f" and {len(columns) - _MAX_LISTED_COLUMNS} more"
    report.note(f"columns not mapped to the event schema (kept in original): {listed}")
