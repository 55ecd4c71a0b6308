"""Event preparation: identities, local time and behaviour flags per event.

The prepared frame keeps only compact columns (codes, hashes, booleans) so
that a case of ten million events fits in memory several times over.
"""

from __future__ import annotations

import polars as pl

from analytics.config import AnalyticsConfig
from analytics.identity import account_expr, resolve_accounts
from analytics.reference import classify_objects, corporate_host

# Event columns the pipeline reads; missing ones are treated as null.
EVENT_COLUMNS: dict[str, pl.DataType] = {
    "event_id": pl.String,
    "timestamp": pl.Datetime("us"),
    "tz_offset_min": pl.Int16,
    "user_name": pl.String,
    "user_domain": pl.String,
    "target_user": pl.String,
    "source_ip": pl.String,
    "source_country": pl.String,
    "source_city": pl.String,
    "host_name": pl.String,
    "object": pl.String,
    "bytes": pl.Int64,
    "event_category": pl.String,
    "event_action": pl.String,
    "event_outcome": pl.String,
    "event_code": pl.String,
    "message": pl.String,
}

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


def conform_events(events: pl.DataFrame) -> pl.DataFrame:
    """Return the columns the pipeline reads, adding missing ones as nulls."""
    columns = []
    for name, dtype in EVENT_COLUMNS.items():
        if name in events.columns:
            columns.append(pl.col(name).cast(dtype, strict=False))
        else:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
    return events.select(columns)


def identity_table(
    events: pl.DataFrame,
    directory: pl.DataFrame | None,
    overrides: pl.DataFrame | None,
) -> pl.DataFrame:
    """Resolve every actor and target account seen in the events."""
    pairs = events.select("user_name", "user_domain").unique()
    actors = pairs.select(account_expr().alias("a")).get_column("a").unique()
    targets = (
        events.select(pl.col("target_user").str.to_lowercase().alias("a"))
        .get_column("a")
        .unique()
    )
    accounts = pl.concat([actors, targets]).unique()
    return resolve_accounts(accounts, directory, overrides)


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
    events: pl.DataFrame,
    identities: pl.DataFrame,
    people: pl.DataFrame,
    corporate_domains: list[str],
    config: AnalyticsConfig,
) -> pl.DataFrame:
    """Return one compact row per attributed event with its behaviour flags."""
    codes = identities.join(people.select("identity", "iid"), on="identity")
    actor = codes.select(pl.col("account").alias("_account"), "iid")
    target = codes.select(
        pl.col("account").alias("_target"), pl.col("iid").alias("target_iid")
    )
    # Account strings are built once per distinct (user_name, user_domain)
    # pair, not once per event.
    pairs = events.select("user_name", "user_domain").unique()
    pairs = pairs.with_columns(account_expr().alias("_account")).join(
        actor, on="_account", how="inner"
    )
    frame = events.join(
        pairs.drop("_account"),
        on=["user_name", "user_domain"],
        how="inner",
        nulls_equal=True,
    )
    targets = events.select("target_user").unique().drop_nulls()
    targets = targets.with_columns(
        pl.col("target_user").str.to_lowercase().alias("_target")
    ).join(target, on="_target", how="inner")
    frame = frame.join(targets.drop("_target"), on="target_user", how="left")
    if config.skip_machine_accounts:
        # Windows computer accounts (NAME$) act for machines, not people.
        frame = frame.filter(~pl.col("user_name").str.ends_with("$").fill_null(False))
    offset = (
        pl.col("tz_offset_min").cast(pl.Int64).fill_null(config.utc_offset_hours * 60)
    )
    local = pl.col("timestamp") + pl.duration(minutes=offset)
    frame = frame.with_columns(
        pl.col("timestamp").dt.date().alias("day"),
        local.dt.hour().cast(pl.Int8).alias("hour"),
        (local.dt.weekday() <= 5).alias("weekday"),
    )
    frame = _with_object_categories(frame, corporate_domains)
    return frame.select(_flag_columns(config))


def _with_object_categories(
    frame: pl.DataFrame, corporate_domains: list[str]
) -> pl.DataFrame:
    frame = frame.with_columns(pl.col("object").hash(seed=7).alias("obj_h"))
    relevant = (
        frame.filter(
            pl.col("event_category").is_in(OBJECT_CATEGORIES)
            & pl.col("object").is_not_null()
        )
        .select("object", "obj_h")
        .unique("obj_h")
    )
    table = classify_objects(relevant.get_column("object"))
    table = table.with_columns(
        corporate_host(pl.col("host"), corporate_domains).alias("corporate")
    ).select("object", pl.col("host").alias("site"), "category", "corporate")
    table = relevant.join(table, on="object", how="inner").drop("object")
    return frame.join(table, on="obj_h", how="left")


def _flag_columns(config: AnalyticsConfig) -> list[pl.Expr]:
    action = pl.col("event_action")
    category = pl.col("event_category")
    failed = pl.col("event_outcome") == "failure"
    external = pl.col("site").is_not_null() & ~pl.col("corporate").fill_null(False)
    message = pl.col("message")
    is_upload = (action == "file-upload") | (
        (category == "web")
        & (message.str.starts_with("POST ") | message.str.starts_with("PUT "))
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
        pl.col("host_name").str.to_lowercase().cast(pl.Categorical).alias("host"),
        pl.col("source_country").cast(pl.Categorical).alias("country"),
        pl.col("source_city").cast(pl.Categorical).alias("city"),
        "obj_h",
        "bytes",
        "event_category",
        "event_action",
        "site",
        *[expr.fill_null(False).alias(name) for name, expr in flags.items()],
    ]
