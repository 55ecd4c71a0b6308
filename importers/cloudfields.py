"""Field mapping shared by the cloud and SaaS audit log importers.

The helpers return Polars expressions, so an importer maps a whole batch of
decoded records at once. They turn times into UTC, account names into
user_name and user_domain, and client addresses into bare IPs, and they map
vendor operation names onto the event vocabulary through lookup tables.
"""

from __future__ import annotations

import polars as pl

from importers.base import EVENT_SCHEMA, ImportBatch, ImportReport, conform
from importers.jsondoc import quarantine_frame
from importers.timeparse import localize, parse_iso, parse_local
from importers.vocabulary import ACTIONS, CATEGORIES

# (category, action) for each vendor operation name.
ActionTable = dict[str, tuple[str, str]]

MESSAGE_MAX_CHARS = 200

# DOMAIN\user, optionally followed by the process name Exchange adds:
# "NT AUTHORITY\SYSTEM (Microsoft.Exchange.ServiceHost)".
_DOWN_LEVEL = r"^([^\\@]+)\\(.+?)(?:\s+\([^()]*\))?$"
_UPN = r"^[^@\s\\/]+@([^@\s\\/]+)$"
_IPV4 = r"^(\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?$"
_IPV6_BRACKETED = r"^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$"
# Eight groups, or fewer with "::" (optionally ending in dotted IPv4).
_IPV6 = (
    r"(?i)^((?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}"
    r"|[0-9a-f:]*::[0-9a-f:]*(?:\d{1,3}(?:\.\d{1,3}){3})?)$"
)


def clean(expr: pl.Expr) -> pl.Expr:
    """Strip text and turn empty values and "-" into null."""
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text.is_in(["", "-"])).then(None).otherwise(text)


def first_text(*names: str) -> pl.Expr:
    """Return the first non-empty value among the String columns `names`."""
    return pl.coalesce(*(clean(pl.col(name)) for name in names))


def with_utc_times(
    frame: pl.DataFrame, tz: str | None, unmarked_is_utc: bool | str
) -> pl.DataFrame:
    """Add ``timestamp``, ``tz_offset_min`` and ``tz_assumed`` from ``time_raw``.

    A ``time_parse`` column, where present, is parsed in place of time_raw
    (time text rewritten into a known layout). ISO 8601 text keeps its own
    offset. Text without an offset is UTC where
    the format defines it so, and is not flagged as assumed; elsewhere it is
    read in zone `tz` (UTC when None) and flagged. `unmarked_is_utc` is
    True, False, or the name of a boolean column that decides per row.
    """
    text = pl.col("time_parse" if "time_parse" in frame.columns else "time_raw")
    iso_local, iso_offset = parse_iso(text)
    # Intermediate columns, so that each parse runs once per batch.
    frame = frame.with_columns(_local=iso_local, _offset=iso_offset)
    not_iso = pl.when(pl.col("_local").is_null()).then(text)
    frame = frame.with_columns(_local=pl.coalesce("_local", parse_local(not_iso)))
    local, offset = pl.col("_local"), pl.col("_offset")
    utc_offset = pl.when(local.is_not_null()).then(offset.fill_null(0))
    if isinstance(unmarked_is_utc, str):
        offset = pl.when(pl.col(unmarked_is_utc)).then(utc_offset).otherwise(offset)
    elif unmarked_is_utc:
        offset = utc_offset
    utc, offset_min, assumed = localize(local, offset, tz)
    return frame.with_columns(
        timestamp=utc, tz_offset_min=offset_min, tz_assumed=assumed
    ).drop("_local", "_offset", "time_parse", strict=False)


def account(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Split an account name into user_name and user_domain expressions.

    ``DOMAIN\\user`` becomes ``user`` with domain ``DOMAIN`` as written. A
    UPN or e-mail address keeps the whole name in lower case, and its domain
    part, lower-cased, also goes to the domain. Other names are lower-cased.
    """
    text = clean(raw)
    down_level = text.str.extract_groups(_DOWN_LEVEL)
    domain = down_level.struct.field("1")
    user = down_level.struct.field("2")
    name = pl.when(user.is_not_null()).then(user).otherwise(text).str.to_lowercase()
    upn_domain = text.str.to_lowercase().str.extract(_UPN, 1)
    return name, pl.coalesce(domain, upn_domain)


def ip_address(raw: pl.Expr) -> pl.Expr:
    """Return the IP address in `raw`, without a port, or null.

    Accepts ``192.0.2.7``, ``192.0.2.7:3521``, ``2001:db8::1`` and
    ``[2001:db8::1]:443``. Service names that some logs write in the address
    field (``ec2.amazonaws.com``, ``AWS Internal``) give null.
    """
    text = clean(raw)
    return pl.coalesce(
        text.str.extract(_IPV4, 1),
        text.str.extract(_IPV6_BRACKETED, 1),
        text.str.extract(_IPV6, 1),
    ).str.to_lowercase()


def check_table(table: ActionTable, name: str) -> ActionTable:
    """Return `table` after checking every entry against the vocabulary.

    Raises:
        ValueError: an entry names an unknown category or action.
    """
    for key, (category, action) in table.items():
        if category not in CATEGORIES:
            raise ValueError(f"{name}[{key!r}]: unknown category {category!r}")
        if action != "other" and action not in ACTIONS.get(category, ()):
            raise ValueError(f"{name}[{key!r}]: {action!r} is not a {category} action")
    return table


def classify(key: pl.Expr, table: ActionTable) -> tuple[pl.Expr, pl.Expr]:
    """Look `key` up in `table`; return category and action, null if absent."""
    categories = {code: pair[0] for code, pair in table.items()}
    actions = {code: pair[1] for code, pair in table.items()}
    category = key.replace_strict(categories, default=None, return_dtype=pl.String)
    action = key.replace_strict(actions, default=None, return_dtype=pl.String)
    return category, action


def first_where(items: pl.Expr, field: str, value: str, result: str) -> pl.Expr:
    """Return field `result` of the first struct in list `items` whose `field`
    equals `value`, e.g. the Value of the {"Name": "ForwardTo"} parameter."""
    element = pl.element()
    return items.list.eval(
        element.filter(element.struct.field(field) == value).struct.field(result)
    ).list.first()


def outcome_from(success: pl.Expr, failure: pl.Expr) -> pl.Expr:
    """Return "failure", "success" or "unknown" from two boolean conditions."""
    return (
        pl.when(failure)
        .then(pl.lit("failure"))
        .when(success)
        .then(pl.lit("success"))
        .otherwise(pl.lit("unknown"))
    )


def message(*parts: pl.Expr) -> pl.Expr:
    """Join the non-null parts with spaces, cut to MESSAGE_MAX_CHARS."""
    text = pl.concat_str(list(parts), separator=" ", ignore_nulls=True)
    return (
        pl.when(text.str.len_chars() > MESSAGE_MAX_CHARS)
        .then(text.str.slice(0, MESSAGE_MAX_CHARS - 1) + "…")
        .otherwise(text)
    )


def finish_batch(
    frame: pl.DataFrame,
    errors: pl.Series,
    report: ImportReport,
    *,
    time_field: str,
    tz: str | None,
    unmarked_is_utc: bool | str,
    assumed_note: str,
) -> ImportBatch:
    """Date mapped rows and split them into events and quarantine rows.

    `frame` contains the event columns except the time columns, plus
    record_ref, original and ``time_raw`` (see `with_utc_times`). A row goes
    to quarantine when its JSON did not parse (`errors`) or its time is
    missing or unreadable. The error then names `time_field` and the value.
    When a kept row has an assumed zone, `assumed_note` goes to the report.
    """
    frame = with_utc_times(frame, tz, unmarked_is_utc).with_columns(
        errors.alias("_error")
    )
    frame = frame.with_columns(
        pl.when(pl.col("_error").is_not_null())
        .then(pl.col("_error"))
        .when(pl.col("time_raw").is_null())
        .then(pl.lit(f"missing time field {time_field}"))
        .when(pl.col("timestamp").is_null())
        .then(pl.format(f"unreadable time in {time_field}: '{{}}'", "time_raw"))
        .alias("_error")
    )
    bad = frame.filter(pl.col("_error").is_not_null())
    events = frame.filter(pl.col("_error").is_null())
    if events.get_column("tz_assumed").any():
        report.assume(assumed_note)
    quarantine = None
    if bad.height:
        quarantine = quarantine_frame(
            bad.get_column("record_ref").to_list(),
            bad.get_column("original").fill_null("").to_list(),
            bad.get_column("_error").to_list(),
        )
    events = events.with_columns(timestamp_raw=pl.col("time_raw"))
    return ImportBatch(conform(events, EVENT_SCHEMA), quarantine)
