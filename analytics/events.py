"""Event preparation: identities, local time and behaviour flags per event.

The prepared frame keeps only compact columns (integer codes, categoricals,
hashes, booleans) so that a case of ten million events fits in memory next
to its input. String work (account names, lower-casing, URL parsing) runs
once per distinct value and is joined back by categorical code.
"""

from __future__ import annotations

import polars as pl

from analytics.config import AnalyticsConfig
from analytics.identity import account_expr, resolve_accounts
from analytics.reference import classify_objects, corporate_host, country_code

# Event columns the pipeline reads; missing ones are treated as null.
EVENT_COLUMNS: dict[str, pl.DataType] = {
    "event_id": pl.String,
    "timestamp": pl.Datetime("us"),
    "tz_offset_min": pl.Int16,
    "user_name": pl.Categorical(),
    "user_domain": pl.Categorical(),
    "target_user": pl.Categorical(),
    "source_ip": pl.Categorical(),
    "source_country": pl.Categorical(),
    "source_city": pl.Categorical(),
    "host_name": pl.Categorical(),
    "object": pl.String,
    "bytes": pl.Int64,
    "event_category": pl.Categorical(),
    "event_action": pl.Categorical(),
    "event_outcome": pl.Categorical(),
    "message": pl.String,
}
# Columns with few distinct values: categoricals store them as 4-byte codes.
CATEGORICAL_COLUMNS = tuple(
    name for name, dtype in EVENT_COLUMNS.items() if dtype == pl.Categorical()
)
# The pipeline reads only the start of `message` (the HTTP method of a web
# request), so a loader may cut messages to this many characters.
MESSAGE_PREFIX_CHARS = 5
HTTP_WRITE_PREFIXES = ("POST ", "PUT ")

ADMIN_ACTIONS = (
    "privilege-grant",
    "group-member-added",
    "group-member-removed",
    "group-created",
    "user-created",
    "user-enabled",
    "password-reset",
    "access-key-created",
    "mailbox-permission",
    "audit-policy-change",
    "log-clear",
)
FILE_READ_ACTIONS = ("file-access", "file-read", "share-access", "list")
OBJECT_CATEGORIES = ("web", "email", "file")


def compact_events(events: pl.DataFrame) -> pl.DataFrame:
    """Return `events` with its low-cardinality text columns as categoricals.

    Loaders call this per batch, so the full event table never exists with
    one string per row in those columns.
    """
    return events.with_columns(
        pl.col(name).cast(pl.Categorical())
        for name in CATEGORICAL_COLUMNS
        if name in events.columns and events.schema[name] != pl.Categorical()
    )


def conform_events(events: pl.DataFrame) -> pl.LazyFrame:
    """Return the columns the pipeline reads as a lazy query, adding missing ones.

    Text columns with few distinct values become categoricals, and `message`
    keeps its type (string or categorical). Events without a timestamp are
    left out.
    """
    columns = []
    for name, dtype in EVENT_COLUMNS.items():
        if name not in events.columns:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
        elif name == "message" and events.schema[name] == pl.Categorical():
            columns.append(pl.col(name))
        elif events.schema[name] == dtype:
            columns.append(pl.col(name))
        else:
            columns.append(pl.col(name).cast(dtype, strict=False))
    return events.lazy().select(columns).filter(pl.col("timestamp").is_not_null())


def identity_table(
    events: pl.LazyFrame,
    directory: pl.DataFrame | None,
    overrides: pl.DataFrame | None,
) -> pl.DataFrame:
    """Resolve every actor and target account seen in the events."""
    pairs = _as_text(events.select("user_name", "user_domain").unique().collect())
    actors = pairs.select(account_expr().alias("a")).get_column("a").unique()
    targets = _as_text(events.select("target_user").unique().collect())
    targets = targets.select(pl.col("target_user").str.to_lowercase().alias("a"))
    accounts = pl.concat([actors, targets.get_column("a")]).unique()
    return resolve_accounts(accounts, directory, overrides)


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast every categorical column of a small frame to String."""
    return frame.with_columns(
        pl.col(name).cast(pl.String)
        for name, dtype in frame.schema.items()
        if dtype == pl.Categorical()
    )


def people_table(
    identities: pl.DataFrame, directory: pl.DataFrame | None, config: AnalyticsConfig
) -> pl.DataFrame:
    """Return one row per identity: identity, iid code, peer group, dates."""
    people = identities.select("identity").unique().sort("identity")
    people = people.with_row_index("iid").with_columns(pl.col("iid").cast(pl.UInt32))
    if directory is not None and directory.height:
        info = directory.select(
            pl.col("user_id").str.strip_chars().str.to_lowercase().alias("identity"),
            _column(directory, config.peer_key).alias("peer"),
            _date_column(directory, "start_date").alias("start_date"),
            _date_column(directory, "end_date").alias("end_date"),
        ).unique("identity", keep="first")
        people = people.join(info, on="identity", how="left")
    else:
        people = people.with_columns(
            pl.lit(None, pl.String).alias("peer"),
            pl.lit(None, pl.Date).alias("start_date"),
            pl.lit(None, pl.Date).alias("end_date"),
        )
    return people.with_columns(pl.col("peer").fill_null("(not in directory)"))


def _column(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name in frame.columns:
        return pl.col(name).cast(pl.String)
    return pl.lit(None, pl.String)


def _date_column(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, pl.Date)
    column = pl.col(name)
    if frame.schema[name] == pl.Date:
        return column
    return column.cast(pl.String).str.strip_chars().str.to_date(strict=False)


def prepare_events(
    events: pl.LazyFrame,
    identities: pl.DataFrame,
    people: pl.DataFrame,
    corporate_domains: list[str],
    config: AnalyticsConfig,
) -> pl.DataFrame:
    """Return one compact row per attributed event with its behaviour flags.

    Args:
        events: the lazy query of `conform_events`.
        identities: account, identity (see `identity_table`).
        people: identity, iid (see `people_table`).
        corporate_domains: mail domains of the organisation.
        config: the tunables.
    """
    codes = identities.join(people.select("identity", "iid"), on="identity")
    # Codes come from small lookup tables of distinct values: replace_strict
    # maps every event without a join, so no event column is gathered again.
    actors = _actor_codes(events, codes, config)
    targets = _target_codes(events, codes)
    hosts = _host_names(events)
    countries = _countries(events)
    objects = _object_table(events, corporate_domains)
    offset = (
        pl.col("tz_offset_min").cast(pl.Int64).fill_null(config.utc_offset_hours * 60)
    )
    local = pl.col("timestamp") + pl.duration(minutes=offset)
    frame = events.with_columns(
        _lookup(_pair_key(), actors["_key"], actors["iid"]).alias("iid"),
        _lookup(
            pl.col("target_user"), targets["target_user"], targets["target_iid"]
        ).alias("target_iid"),
        _lookup(pl.col("host_name"), hosts["host_name"], hosts["host"]).alias("host"),
        _lookup(
            pl.col("source_country"), countries["source_country"], countries["country"]
        ).alias("country"),
        pl.col("timestamp").dt.date().alias("day"),
        local.dt.hour().cast(pl.Int8).alias("hour"),
        (local.dt.weekday() <= 5).alias("weekday"),
        pl.col("object").hash(seed=7).alias("obj_h"),
    ).filter(pl.col("iid").is_not_null())
    frame = frame.with_columns(
        _lookup(pl.col("obj_h"), objects["obj_h"], objects[name]).alias(name)
        for name in ("site", "category", "corporate")
    )
    message_dtype = events.collect_schema()["message"]
    return frame.select(_flag_columns(config, message_dtype)).collect()


def _actor_codes(
    events: pl.LazyFrame, codes: pl.DataFrame, config: AnalyticsConfig
) -> pl.DataFrame:
    """Return the pair key (see `_pair_key`) -> iid of each attributed pair.

    Account strings are built once per distinct pair, not once per event.
    """
    actor = codes.select(pl.col("account").alias("_account"), "iid")
    pairs = events.select("user_name", "user_domain").unique().collect()
    text = _as_text(pairs)
    pairs = pairs.with_columns(
        text.select(account_expr().alias("_account")).to_series(),
        text.get_column("user_name").alias("_name"),
    )
    if config.skip_machine_accounts:
        # Windows computer accounts (NAME$) act for machines, not people.
        pairs = pairs.filter(~pl.col("_name").str.ends_with("$").fill_null(False))
    return (
        pairs.join(actor, on="_account", how="inner")
        .with_columns(_pair_key().alias("_key"))
        .select("_key", "iid")
    )


def _pair_key() -> pl.Expr:
    """Return one integer per (user_name, user_domain) pair, nulls included.

    Categorical codes are global within the process, so the same pair has
    the same key in the event frame and in a table of distinct pairs.
    """
    missing = (1 << 32) - 1
    name = pl.col("user_name").to_physical().cast(pl.UInt64).fill_null(missing)
    domain = pl.col("user_domain").to_physical().cast(pl.UInt64).fill_null(missing)
    return name * (1 << 32) + domain


def _lookup(expr: pl.Expr, keys: pl.Series, values: pl.Series) -> pl.Expr:
    """Map `expr` through the pairs (keys, values); other values become null."""
    return expr.replace_strict(keys, values, default=None, return_dtype=values.dtype)


def _target_codes(events: pl.LazyFrame, codes: pl.DataFrame) -> pl.DataFrame:
    """Return target_user -> target_iid for each distinct resolved target."""
    target = codes.select(
        pl.col("account").alias("_target"), pl.col("iid").alias("target_iid")
    )
    targets = events.select("target_user").unique().drop_nulls().collect()
    targets = targets.with_columns(
        pl.col("target_user").cast(pl.String).str.to_lowercase().alias("_target")
    )
    return targets.join(target, on="_target", how="inner").drop("_target")


def _host_names(events: pl.LazyFrame) -> pl.DataFrame:
    """Return host_name -> host, the lower-case name as a categorical."""
    names = events.select("host_name").unique().drop_nulls().collect()
    return names.with_columns(
        pl.col("host_name")
        .cast(pl.String)
        .str.to_lowercase()
        .cast(pl.Categorical())
        .alias("host")
    )


def _countries(events: pl.LazyFrame) -> pl.DataFrame:
    """Return source_country -> country, the ISO 3166 alpha-2 code."""
    names = events.select("source_country").unique().drop_nulls().collect()
    code = country_code(pl.col("source_country").cast(pl.String))
    return names.with_columns(code.cast(pl.Categorical()).alias("country"))


def _object_table(events: pl.LazyFrame, corporate_domains: list[str]) -> pl.DataFrame:
    """Return obj_h -> site, category, corporate for web, mail and file objects."""
    relevant = (
        events.filter(
            pl.col("event_category").is_in(OBJECT_CATEGORIES)
            & pl.col("object").is_not_null()
        )
        .select("object", pl.col("object").hash(seed=7).alias("obj_h"))
        .unique("obj_h")
        .collect()
    )
    table = classify_objects(relevant.get_column("object"), corporate_domains)
    table = table.with_columns(
        corporate_host(pl.col("host"), corporate_domains).alias("corporate")
    ).select(
        "object",
        pl.col("host").cast(pl.Categorical()).alias("site"),
        pl.col("category").cast(pl.Categorical()),
        "corporate",
    )
    return relevant.join(table, on="object", how="inner").drop("object")


def _http_write(message_dtype: pl.DataType) -> pl.Expr:
    """Return whether `message` starts with an HTTP method that sends data."""
    message = pl.col("message")
    text = message.cat if message_dtype == pl.Categorical() else message.str
    starts = [text.starts_with(prefix) for prefix in HTTP_WRITE_PREFIXES]
    return starts[0] | starts[1]


def _flag_columns(config: AnalyticsConfig, message_dtype: pl.DataType) -> list[pl.Expr]:
    action = pl.col("event_action")
    category = pl.col("event_category")
    failed = pl.col("event_outcome") == "failure"
    external = pl.col("site").is_not_null() & ~pl.col("corporate").fill_null(False)
    is_upload = (action == "file-upload") | (
        (category == "web") & _http_write(message_dtype)
    )
    is_mail = action == "mail-send"
    forward = action.is_in(("mail-forward-rule", "inbox-rule"))
    personal = pl.col("category") == "personal_mail"
    hour = pl.col("hour")
    in_window = (hour >= config.work_start_hour) & (hour < config.work_end_hour)
    flags = {
        "is_logon": (action == "logon") & ~failed,
        "is_failed": (action == "logon-failed") | ((action == "logon") & failed),
        "is_explicit": action == "logon-explicit",
        "is_download": action.is_in(("file-download", "export")) & ~failed,
        "is_file_read": action.is_in(FILE_READ_ACTIONS) & ~failed,
        "is_upload_ext": is_upload & external & ~failed,
        "is_cloud_upload": is_upload & (pl.col("category") == "cloud_storage"),
        "is_leak_upload": is_upload & (pl.col("category") == "paste_leak"),
        "is_mail": is_mail,
        "is_usb": category == "device",
        "is_usb_copy": action == "usb-copy",
        "is_mail_ext": is_mail & external,
        "is_mail_personal": (is_mail | forward) & personal,
        "is_export": action == "export",
        "is_admin": action.is_in(ADMIN_ACTIONS),
        "is_priv_grant": action.is_in(("privilege-grant", "group-member-added")),
        "is_log_clear": action == "log-clear",
        "is_job": (category == "web") & (pl.col("category") == "job_board"),
        "is_off_hours": ~(in_window & pl.col("weekday")),
        "is_mailbox_other": action.is_in(("mailbox-access", "mailbox-permission"))
        & pl.col("target_iid").is_not_null()
        & (pl.col("target_iid") != pl.col("iid")),
    }
    return [
        "event_id",
        "iid",
        "target_iid",
        "timestamp",
        "day",
        "hour",
        "weekday",
        "host",
        pl.col("source_ip").alias("ip"),
        "country",
        pl.col("source_city").alias("city"),
        "obj_h",
        "bytes",
        "event_category",
        "event_action",
        "site",
        *[expr.fill_null(False).alias(name) for name, expr in flags.items()],
    ]
