"""Mapping of Windows Security and System events onto the common event schema.

`normalise_security_events` takes one row per event with String columns named
as Windows writes them (``EventID``, ``Computer``, ``Channel``, ``Provider``,
``Keywords``, ``Task`` and EventData fields such as ``SubjectUserName`` or
``IpAddress``) and returns the schema columns from event_code to message. It
does not depend on where the rows come from, so the EVTX importer and the
importer of Sentinel SecurityEvent CSV exports share it.

The mapping is the table in `windows_event_table`, keyed by event id. It is
joined onto the rows, and the per-row choice of columns is made with
when/then expressions, so a batch is mapped without a Python loop over its
events. An event id missing from the table is kept with category and action
"other". The steps build one lazy query, collected once per batch; values
that several expressions use are computed once, as columns of an earlier
step.
"""

from __future__ import annotations

from dataclasses import asdict

import polars as pl

from importers.windows_event_table import (
    ACCESS_PHRASES,
    AUDIT_FAILURE,
    AUDIT_SUCCESS,
    CLEARED_LOG,
    DELETE,
    DEVICE,
    EVENT_SPECS,
    GENERIC_DOMAIN,
    GENERIC_SPEC,
    GENERIC_USER,
    GROUP,
    INPUT_FIELDS,
    MEMBER,
    PRIVILEGES,
    READ_DATA,
    REMOVABLE_STORAGE_TASK,
    SHARE_PATH,
    SPEC_COLUMNS,
    SPEC_TABLE,
    STATUS,
    WRITE_DATA,
    field_names,
)

__all__ = ["EVENT_SPECS", "INPUT_FIELDS", "OUTPUT_COLUMNS", "normalise_security_events"]

OUTPUT_COLUMNS = (
    "event_code",
    "event_category",
    "event_action",
    "event_outcome",
    "user_name",
    "user_domain",
    "target_user",
    "source_ip",
    "host_name",
    "object",
    "message",
)

MESSAGE_MAX_CHARS = 240


def _clean_inputs(frame: pl.DataFrame) -> pl.LazyFrame:
    """Select INPUT_FIELDS as stripped text, with ``-`` and empty text as null."""
    missing = [name for name in INPUT_FIELDS if name not in frame.columns]
    rows = frame.lazy().with_columns(
        pl.lit(None, pl.String).alias(name) for name in missing
    )
    rows = rows.select(
        pl.col(name).cast(pl.String, strict=False).str.strip_chars()
        for name in INPUT_FIELDS
    )
    rows = rows.with_columns(
        pl.when((pl.col(name) == "-") | (pl.col(name) == ""))
        .then(None)
        .otherwise(pl.col(name))
        .alias(name)
        for name in INPUT_FIELDS
        if name not in missing
    )
    return rows.with_columns(pl.col("EventID").alias("event_code"))


def _hex(name: str) -> pl.Expr:
    """Parse ``0x``-prefixed hexadecimal text (flags, masks, status codes)."""
    digits = pl.col(name).str.to_lowercase().str.strip_prefix("0x")
    return digits.str.to_integer(base=16, dtype=pl.UInt64, strict=False)


def _derived_columns() -> list[pl.Expr]:
    member_cn = pl.col("MemberName").str.extract(r"^(?i:CN=)((?:\\.|[^,\\])+)")
    relative = pl.col("RelativeTargetName").str.strip_chars_start("\\")
    subject, target = pl.col("SubjectUserName"), pl.col("TargetUserName")
    domain = pl.col("TargetDomainName")
    return [
        pl.coalesce(
            member_cn.str.replace_all(r"\\(.)", "$1"),
            pl.col("MemberName"),
            pl.col("MemberSid"),
        ).alias(MEMBER),
        pl.when(domain.is_not_null())
        .then(domain + "\\" + target)
        .otherwise(target)
        .alias(GROUP),
        pl.concat_str(
            [pl.col("ShareName"), pl.when(relative != "").then(relative)],
            separator="\\",
            ignore_nulls=True,
        ).alias(SHARE_PATH),
        pl.col("PrivilegeList").str.replace_all(r"\s+", " ").alias(PRIVILEGES),
        pl.coalesce("Data.Channel", "Channel").alias(CLEARED_LOG),
        pl.coalesce("DeviceDescription", "DeviceId").alias(DEVICE),
        pl.coalesce(subject, target, pl.col("AccountName")).alias(GENERIC_USER),
        pl.when(subject.is_not_null())
        .then(pl.col("SubjectDomainName"))
        .when(target.is_not_null())
        .then(domain)
        .otherwise(pl.col("AccountDomain"))
        .alias(GENERIC_DOMAIN),
        pl.coalesce("WorkstationName", "Workstation", "ClientName")
        .str.strip_chars_start("\\")
        .alias("_workstation"),
        _hex("AccessMask").alias("_mask"),
        _hex("Status").alias("_status"),
        _hex("SubStatus").alias("_sub_status"),
        _hex("Keywords").alias("_keywords"),
        ((pl.col("event_code") == "4663") & (pl.col("Task") == REMOVABLE_STORAGE_TASK))
        .fill_null(False)
        .alias("_removable"),
    ]


def _apply_specs(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Join the spec table and fall back to GENERIC_SPEC where none applies.

    A spec with a provider applies only to rows from that provider, or to
    rows whose provider is unknown.
    """
    joined = rows.join(
        SPEC_TABLE.lazy(), on="event_code", how="left", maintain_order="left"
    )
    provider = pl.col("Provider").str.to_lowercase()
    applies = pl.col("spec_category").is_not_null() & (
        pl.col("spec_provider").is_null()
        | provider.is_null()
        | (provider == pl.col("spec_provider").str.to_lowercase())
    )
    joined = joined.with_columns(applies.alias("_applies"))
    generic = asdict(GENERIC_SPEC)
    return joined.with_columns(
        pl.when("_applies")
        .then(pl.col(name))
        .otherwise(pl.lit(generic[name.removeprefix("spec_")]))
        .alias(name)
        for name in SPEC_COLUMNS
    )


def _pick(selector: str, names: list[str]) -> pl.Expr:
    """Return, per row, the value of the column named in column `selector`."""
    expr = pl.lit(None, dtype=pl.String)
    for name in names:
        expr = pl.when(pl.col(selector) == name).then(pl.col(name)).otherwise(expr)
    return expr


def _source_ip(value: pl.Expr) -> pl.Expr:
    """Clean an address field: IPv4-mapped IPv6 becomes IPv4, words become null."""
    address = value.str.replace(r"^::ffff:(\d+\.\d+\.\d+\.\d+)$", "$1")
    looks_like_ip = address.str.contains(r"^[0-9A-Fa-f:.]*\d[0-9A-Fa-f:.]*(%\w+)?$")
    return pl.when(looks_like_ip).then(address)


def _picked_columns() -> list[pl.Expr]:
    return [
        _pick("spec_user", field_names("user")).alias("_user"),
        _pick("spec_domain", field_names("domain")).alias("_domain"),
        _pick("spec_target", field_names("target")).alias("_target"),
        _pick("spec_object", field_names("object")).alias("object"),
        _pick("spec_detail", field_names("detail")).alias("_detail"),
        _source_ip(pl.coalesce("IpAddress", "ClientAddress")).alias("source_ip"),
        pl.col("Computer").alias("host_name"),
    ]


def _account_name(name: str) -> pl.Expr:
    """Lower-case an account name without its ``DOMAIN\\`` prefix.

    SIDs keep their case. Machine accounts keep their trailing ``$``.
    """
    value = pl.col(name)
    short = value.str.extract(r"([^\\]*)$")
    lowered = (
        pl.when(short.str.starts_with("S-1-"))
        .then(short)
        .otherwise(short.str.to_lowercase())
    )
    return pl.when(lowered != "").then(lowered)


def _account_domain(name: str, domain: str) -> pl.Expr:
    """Return the domain of an account.

    The first found wins: the ``DOMAIN\\`` prefix, the UPN suffix (lower
    case), then the separate domain field.
    """
    value = pl.col(name)
    prefix = value.str.extract(r"^([^\\]*)\\")
    upn_domain = value.str.to_lowercase().str.extract(r"@([^@\\]+)$")
    found = pl.coalesce(pl.when(prefix != "").then(prefix), upn_domain, pl.col(domain))
    return pl.when(value.is_not_null()).then(found)


def _outcome() -> pl.Expr:
    keywords = pl.col("_keywords")
    from_keywords = (
        pl.when((keywords & AUDIT_FAILURE) != 0)
        .then(pl.lit("failure"))
        .when((keywords & AUDIT_SUCCESS) != 0)
        .then(pl.lit("success"))
    )
    status = pl.col("_status")
    from_status = (
        pl.when(status == 0).then(pl.lit("success")).otherwise(pl.lit("failure"))
    )
    rule = pl.col("spec_outcome")
    return (
        pl.when((rule == STATUS) & status.is_not_null())
        .then(from_status)
        .when(from_keywords.is_not_null())
        .then(from_keywords)
        .when(rule.is_in(["success", "failure"]))
        .then(rule)
        .otherwise(pl.lit("unknown"))
    )


def _action() -> pl.Expr:
    """Refine file and share actions from AccessMask; USB writes on removable media."""
    mask = pl.col("_mask")
    writes = ((mask & WRITE_DATA) != 0).fill_null(False)
    by_mask = (
        pl.when((mask & DELETE) != 0)
        .then(pl.lit("file-delete"))
        .when(writes)
        .then(pl.lit("file-write"))
        .when((mask & READ_DATA) != 0)
        .then(pl.lit("file-read"))
        .otherwise(pl.col("spec_action"))
    )
    usb = pl.when(writes).then(pl.lit("usb-copy")).otherwise(pl.lit("other"))
    return (
        pl.when("_removable")
        .then(usb)
        .when("spec_access_mask")
        .then(by_mask)
        .otherwise(pl.col("spec_action"))
    )


def _mapped_columns() -> list[pl.Expr]:
    return [
        _account_name("_user").alias("user_name"),
        _account_domain("_user", "_domain").alias("user_domain"),
        _account_name("_target").alias("target_user"),
        _action().alias("event_action"),
        _outcome().alias("event_outcome"),
        pl.when("_removable")
        .then(pl.lit("device"))
        .otherwise(pl.col("spec_category"))
        .alias("event_category"),
    ]


def _phrase() -> pl.Expr:
    """Return the message verb: the spec's phrase, or "Security event 5156"."""
    code = pl.coalesce(pl.col("event_code"), pl.lit("without id"))
    generic = pl.concat_str(
        [pl.col("Channel"), pl.lit("event"), code], separator=" ", ignore_nulls=True
    )
    access = pl.col("event_action").replace_strict(
        ACCESS_PHRASES, default=pl.col("spec_phrase"), return_dtype=pl.String
    )
    return (
        pl.when(pl.col("spec_category") == "other")
        .then(generic)
        .when("spec_access_mask")
        .then(access)
        .otherwise(pl.col("spec_phrase"))
    )


def _piece(label: pl.Expr | str, value: pl.Expr) -> pl.Expr:
    """Return " label value", or null when the value is null."""
    label = pl.lit(label) if isinstance(label, str) else label
    prefix = pl.when(label == "").then(pl.lit(" ")).otherwise(" " + label + " ")
    return pl.when(value.is_not_null()).then(prefix + value)


def _details() -> pl.Expr:
    """Return the bracketed end of the message: workstation, status, detail."""
    workstation = pl.col("_workstation")
    host_label = pl.col("host_name").str.to_lowercase().str.extract(r"^([^.]+)")
    return pl.concat_str(
        [
            pl.when(workstation.str.to_lowercase() != host_label).then(
                "workstation " + workstation
            ),
            pl.when(pl.col("_status") != 0).then("status " + pl.col("Status")),
            pl.when(pl.col("_sub_status") != 0).then(
                "sub-status " + pl.col("SubStatus")
            ),
            pl.when(pl.col("_detail").is_not_null()).then(
                pl.col("spec_detail_label") + " " + pl.col("_detail")
            ),
        ],
        separator=", ",
        ignore_nulls=True,
    )


def _with_message(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Add the message column, built in stages so each part is computed once."""
    rows = rows.with_columns(_phrase().alias("_phrase"), _details().alias("_details"))
    text = pl.concat_str(
        [
            pl.col("_phrase"),
            _piece("type", pl.col("LogonType")),
            _piece("", pl.col("target_user")),
            _piece(pl.col("spec_object_label"), pl.col("object")),
            _piece(pl.col("spec_user_label"), pl.col("user_name")),
            _piece("from", pl.col("source_ip")),
            _piece("on", pl.col("host_name")),
            pl.when(pl.col("_details") != "").then(" (" + pl.col("_details") + ")"),
        ],
        ignore_nulls=True,
    )
    rows = rows.with_columns(
        text.str.replace_all(r"\s+", " ").str.strip_chars().alias("_text")
    )
    shortened = pl.col("_text").str.slice(0, MESSAGE_MAX_CHARS - 1) + "…"
    return rows.with_columns(
        pl.when(pl.col("_text").str.len_chars() > MESSAGE_MAX_CHARS)
        .then(shortened)
        .otherwise(pl.col("_text"))
        .alias("message")
    )


def normalise_security_events(frame: pl.DataFrame) -> pl.DataFrame:
    """Map Windows events onto the schema columns event_code to message.

    Args:
        frame: one row per event, with String columns named as in the event
            XML (``EventID``, ``Computer``, ``Channel``, ``Provider`` and the
            EventData fields). Missing columns count as null, and so do ``-``
            and empty values.

    Returns:
        A frame with the columns of OUTPUT_COLUMNS, one row per input row, in
        input order. Events without a mapping keep their id in event_code with
        category and action "other".
    """
    rows = _clean_inputs(frame)
    rows = rows.with_columns(_derived_columns())
    rows = _apply_specs(rows)
    rows = rows.with_columns(_picked_columns())
    rows = rows.with_columns(_mapped_columns())
    rows = _with_message(rows)
    return rows.select(OUTPUT_COLUMNS).collect()
