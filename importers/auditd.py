"""Linux audit daemon logs (/var/log/audit/audit.log) in the raw format.

One record per line::

    type=USER_LOGIN msg=audit(1551485408.371:23): pid=15745 uid=0
        auid=4294967295 ses=4294967295 msg='op=login acct="root"
        exe="/usr/sbin/sshd" hostname=? addr=36.156.24.99 terminal=sshd res=failed'

The time is Unix epoch seconds, so UTC by definition. Each line becomes one
event (record_ref = line number), so one kernel event spread over SYSCALL,
EXECVE, CWD, PATH and PROCTITLE records gives several events; an EXECVE
event takes its user and outcome from the SYSCALL record with the same
serial. Unquoted string values that auditd wrote in hex are decoded, and the
names the ENRICHED log format appends (``UID="root"``) replace numeric ids.
"""

from __future__ import annotations

import polars as pl

from importers.base import ImportOptions, ImportReport
from importers.line_format import (
    REPLACEMENT_CHAR,
    LineImporter,
    LineParser,
    shorten,
    split_rows,
    user_columns,
)
from importers.registry import register
from importers.syslog_auth import clean_account, ip_or_null

RECORD_PATTERN = (
    r"^(?P<prefix>(?:node=(?P<node>\S+) )?type=(?P<type>[A-Z0-9_]+) "
    r"msg=audit\((?P<seconds>\d+)\.(?P<millis>\d{3}):(?P<serial>\d+)\): ?)"
)
LINE_ERROR = (
    "not a raw auditd record: expected 'type=TYPE msg=audit(EPOCH.MS:SERIAL): ...'"
)
# The ENRICHED format appends names after a GS character (0x1d).
ENRICHMENT_SEPARATOR = "\x1d"
UNSET_IDS = ("4294967295", "-1")
# How many SYSCALL records are kept for the EXECVE records of the next batch.
SYSCALL_CARRY_ROWS = 1000

# Record type -> (category, action). Types not listed are "other".
RECORD_ACTIONS: dict[str, tuple[str, str]] = {
    "USER_LOGIN": ("authentication", "logon"),
    "USER_LOGOUT": ("authentication", "logoff"),
    "USER_START": ("authentication", "logon"),
    "USER_END": ("authentication", "logoff"),
    "USER_AUTH": ("authentication", "credential-validation"),
    "USER_ACCT": ("authentication", "other"),
    "USER_ERR": ("authentication", "other"),
    "CRED_ACQ": ("authentication", "other"),
    "CRED_DISP": ("authentication", "other"),
    "CRED_REFR": ("authentication", "other"),
    "LOGIN": ("authentication", "other"),
    "ANOM_LOGIN_FAILURES": ("authentication", "account-locked"),
    "RESP_ACCT_LOCK": ("authentication", "account-locked"),
    "RESP_ACCT_LOCK_TIMED": ("authentication", "account-locked"),
    "USER_CMD": ("iam", "sudo"),
    "ADD_USER": ("iam", "user-created"),
    "DEL_USER": ("iam", "user-deleted"),
    "ADD_GROUP": ("iam", "group-created"),
    "DEL_GROUP": ("iam", "other"),
    "USER_CHAUTHTOK": ("iam", "password-change"),
    "USER_MGMT": ("iam", "user-changed"),
    "GRP_MGMT": ("iam", "other"),
    "GRP_CHAUTHTOK": ("iam", "other"),
    "ACCT_LOCK": ("iam", "user-disabled"),
    "ACCT_UNLOCK": ("iam", "user-enabled"),
    "ROLE_ASSIGN": ("iam", "privilege-grant"),
    "ROLE_REMOVE": ("iam", "privilege-revoke"),
    "EXECVE": ("process", "process-start"),
    "SYSCALL": ("process", "other"),
    "SERVICE_START": ("process", "other"),
    "SERVICE_STOP": ("process", "other"),
    "USER_TTY": ("process", "other"),
    "TTY": ("process", "other"),
    "CONFIG_CHANGE": ("audit", "audit-policy-change"),
    "DAEMON_START": ("audit", "other"),
    "DAEMON_END": ("audit", "other"),
    "DAEMON_ABORT": ("audit", "other"),
    "DAEMON_CONFIG": ("audit", "other"),
    "DAEMON_ROTATE": ("audit", "other"),
    "NETFILTER_CFG": ("configuration", "config-change"),
    "MAC_POLICY_LOAD": ("configuration", "policy-change"),
}

# Fields read from every record. String fields may be hex-encoded.
NUMBER_FIELDS = ("uid", "auid", "id", "syscall", "argc")
STRING_FIELDS = (
    "acct",
    "exe",
    "comm",
    "cmd",
    "cwd",
    "name",
    "proctitle",
    "grp",
    "hostname",
    "terminal",
)
WORD_FIELDS = ("op", "addr", "res", "success")
ENRICHED_FIELDS = ("UID", "AUID", "ID")

ACCOUNT_RECORDS = (
    "ADD_USER",
    "DEL_USER",
    "USER_MGMT",
    "USER_CHAUTHTOK",
    "ACCT_LOCK",
    "ACCT_UNLOCK",
)

# Executables whose PAM sessions run as another account.
SWITCH_USER_EXE = r"/(?:su|sudo|runuser|pkexec)$"


def field_value(body: pl.Expr, key: str) -> pl.Expr:
    """Extract the raw value of ``key=value`` (quotes kept) from a record body."""
    return body.str.extract(rf"(?:^|[\s']){key}=(\"[^\"]*\"|[^\s'\x1d]*)")


def audit_string(raw: pl.Expr) -> pl.Expr:
    """Decode an auditd string value: strip quotes, or decode hex.

    auditd writes a string in hex, unquoted, when it contains a space, a
    quote or a control character. Placeholders (``?``, ``(null)``) become null.

    NOTE: hex values with bytes above 0x7F (non-ASCII names) are kept as hex,
    because Polars cannot cast invalid UTF-8 to text without failing.
    """
    is_hex = ~raw.str.starts_with('"') & raw.str.contains(r"^(?:[0-7][0-9A-Fa-f])+$")
    hex_only = pl.when(is_hex).then(raw).otherwise(pl.lit(""))
    decoded = hex_only.str.decode("hex", strict=False).cast(pl.String)
    text = (
        pl.when(is_hex)
        .then(decoded.str.replace_all("\x00", " "))
        .otherwise(raw.str.strip_chars('"'))
    )
    return pl.when(text.is_in(["", "?", "(null)", "(none)"])).then(None).otherwise(text)


def id_name(number: pl.Expr, enriched: pl.Expr) -> pl.Expr:
    """Name for a numeric user id: the enriched name, "root" for 0, else the number.

    The unset id (4294967295 or -1) gives null.
    """
    known = pl.when(number.is_in(UNSET_IDS)).then(None).otherwise(number)
    return pl.coalesce(
        enriched, pl.when(known == "0").then(pl.lit("root")).otherwise(known)
    )


@register
class AuditdImporter(LineImporter):
    """Raw auditd records from /var/log/audit/audit.log."""

    name = "auditd"
    description = "Linux auditd log (raw format)"

    def line_matches(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(RECORD_PATTERN)

    def parser(self, options: ImportOptions, report: ImportReport) -> LineParser:
        report.mapping.update(
            {
                "timestamp": "msg=audit(EPOCH...) (UTC)",
                "event_code": "record type",
                "user_name": "acct for PAM records, else the auid or uid name",
                "target_user": "acct when su or sudo switches user; account created",
                "source_ip": "addr",
                "host_name": "node= prefix",
                "object": "command line, executable, path or group",
            }
        )
        return AuditdParser(report)


class AuditdParser(LineParser):
    """Parses auditd lines, keeping recent SYSCALL records for EXECVE lookups."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.syscalls = pl.DataFrame(
            schema={
                "event_key": pl.String,
                "syscall_user": pl.String,
                "syscall_outcome": pl.String,
            }
        )

    def parse(self, lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        frame = _read_fields(lines)
        frame = _classify(frame)
        frame = self._join_syscalls(frame)
        frame = frame.with_columns(_error_column())
        return split_rows(frame, _event_columns())

    def _join_syscalls(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Give EXECVE rows the user and outcome of their SYSCALL record."""
        current = frame.filter(pl.col("type") == "SYSCALL").select(
            pl.col("event_key"),
            pl.col("actor").alias("syscall_user"),
            pl.col("outcome").alias("syscall_outcome"),
        )
        lookup = pl.concat([self.syscalls, current]).unique(
            "event_key", keep="last", maintain_order=True
        )
        self.syscalls = lookup.tail(SYSCALL_CARRY_ROWS)
        frame = frame.join(lookup, on="event_key", how="left", maintain_order="left")
        is_execve = pl.col("type") == "EXECVE"
        return frame.with_columns(
            pl.when(is_execve)
            .then(pl.col("syscall_user"))
            .otherwise(pl.col("actor"))
            .alias("actor"),
            pl.when(is_execve)
            .then(pl.col("syscall_outcome").fill_null("unknown"))
            .otherwise(pl.col("outcome"))
            .alias("outcome"),
        )


def _read_fields(lines: pl.DataFrame) -> pl.DataFrame:
    """Split each line into its header and the fields the events need."""
    text = pl.col("text")
    frame = lines.with_columns(text.str.extract_groups(RECORD_PATTERN).alias("header"))
    header = pl.col("header")
    frame = frame.with_columns(
        *(header.struct.field(name).alias(name) for name in ("node", "type")),
        pl.format(
            "{}.{}:{}",
            header.struct.field("seconds"),
            header.struct.field("millis"),
            header.struct.field("serial"),
        ).alias("event_key"),
        pl.format(
            "{}.{}", header.struct.field("seconds"), header.struct.field("millis")
        ).alias("time_raw"),
        text.str.slice(header.struct.field("prefix").str.len_chars()).alias("body"),
    )
    body = pl.col("body")
    enrichment = body.str.extract(rf"{ENRICHMENT_SEPARATOR}(.*)$")
    frame = frame.with_columns(
        *(field_value(body, key).alias(key) for key in NUMBER_FIELDS + WORD_FIELDS),
        *(field_value(body, key).alias(f"raw_{key}") for key in STRING_FIELDS),
        *(
            enrichment.str.extract(rf'(?:^|\s){key}="([^"]*)"').alias(f"enriched_{key}")
            for key in ENRICHED_FIELDS
        ),
        pl.when(pl.col("header").struct.field("type") == "EXECVE")
        .then(body)
        .str.extract_all(r"\ba\d+=(?:\"[^\"]*\"|[0-9A-Fa-f]+)")
        .alias("arguments"),
    )
    return frame.with_columns(
        *(audit_string(pl.col(f"raw_{key}")).alias(key) for key in STRING_FIELDS),
        _argv(pl.col("arguments")).alias("argv"),
        _time(header).alias("timestamp"),
    ).drop(*(f"raw_{key}" for key in STRING_FIELDS), "arguments")


def _argv(arguments: pl.Expr) -> pl.Expr:
    """Join the EXECVE arguments a0, a1, ... into one command line."""
    values = arguments.list.eval(audit_string(pl.element().str.replace(r"^a\d+=", "")))
    return values.list.join(" ", ignore_nulls=True)


def _time(header: pl.Expr) -> pl.Expr:
    seconds = header.struct.field("seconds").cast(pl.Int64, strict=False)
    millis = header.struct.field("millis").cast(pl.Int64, strict=False)
    return pl.from_epoch(seconds * 1000 + millis, time_unit="ms").cast(
        pl.Datetime("us")
    )


def _classify(frame: pl.DataFrame) -> pl.DataFrame:
    """Add category, action, outcome, acting and target user, and object.

    The steps are separate ``with_columns`` calls so that each intermediate
    value is computed once.
    """
    frame = frame.with_columns(_record_facts())
    frame = frame.with_columns(_vocabulary_columns())
    return frame.with_columns(_user_and_object_columns())


def _record_facts() -> list[pl.Expr]:
    """Return what the later steps ask of each record, as helper columns."""
    record_type = pl.col("type")
    result = pl.coalesce(pl.col("res"), pl.col("success")).str.to_lowercase()
    is_pam = record_type.str.contains(r"^(?:USER_|CRED_)") & (record_type != "USER_CMD")
    switches_user = pl.col("exe").str.contains(SWITCH_USER_EXE).fill_null(False)
    login_user = id_name(pl.col("auid"), pl.col("enriched_AUID"))
    # "id=unknown(952)" names no account.
    named_id = pl.when(pl.col("id").str.contains(r"^\d+$")).then(
        id_name(pl.col("id"), pl.col("enriched_ID"))
    )
    op = pl.col("op").fill_null("")
    return [
        pl.when(result.is_in(["success", "yes", "1"]))
        .then(pl.lit("success"))
        .when(result.is_in(["failed", "fail", "no", "0"]))
        .then(pl.lit("failure"))
        .otherwise(pl.lit("unknown"))
        .alias("outcome"),
        is_pam.alias("is_pam"),
        (is_pam & switches_user).alias("switches_user"),
        login_user.alias("login_user"),
        pl.coalesce(login_user, id_name(pl.col("uid"), pl.col("enriched_UID"))).alias(
            "process_user"
        ),
        pl.coalesce(pl.col("acct"), named_id).alias("account"),
        op.str.contains(r"add(?:ing)?[- ]user[- ]to[- ]").alias("group_member"),
        op.str.contains(r"(?:delete|remov)\w*[- ]user[- ]from[- ]").alias(
            "group_removal"
        ),
        record_type.is_in(["ADD_GROUP", "DEL_GROUP", "GRP_MGMT"]).alias(
            "is_group_record"
        ),
        record_type.is_in(ACCOUNT_RECORDS).alias("is_account_record"),
    ]


def _vocabulary_columns() -> list[pl.Expr]:
    record_type = pl.col("type")
    types = list(RECORD_ACTIONS)
    categories = [category for category, _ in RECORD_ACTIONS.values()]
    actions = [action for _, action in RECORD_ACTIONS.values()]
    return [
        record_type.replace_strict(types, categories, default="other").alias(
            "event_category"
        ),
        pl.when((record_type == "USER_LOGIN") & (pl.col("outcome") == "failure"))
        .then(pl.lit("logon-failed"))
        .when((record_type == "USER_START") & pl.col("switches_user"))
        .then(pl.lit("logon-explicit"))
        .when(pl.col("group_member"))
        .then(pl.lit("group-member-added"))
        .when(pl.col("group_removal"))
        .then(pl.lit("group-member-removed"))
        .otherwise(record_type.replace_strict(types, actions, default="other"))
        .alias("event_action"),
    ]


def _user_and_object_columns() -> list[pl.Expr]:
    """Return the acting user, the account acted on and the object.

    PAM records name the account in acct, unless su or sudo switches to it:
    then the login user (auid) acts on it. Account and group changes are
    made by the login user.
    """
    record_type = pl.col("type")
    account = pl.col("account")
    changes_membership = pl.col("group_member") | pl.col("group_removal")
    changes_accounts = pl.col("is_account_record") | pl.col("is_group_record")
    actor = (
        pl.when(pl.col("switches_user"))
        .then(pl.coalesce(pl.col("login_user"), account))
        .when(changes_accounts)
        .then(pl.col("process_user"))
        .when(pl.col("is_pam"))
        .then(pl.coalesce(account, pl.col("process_user")))
        .otherwise(pl.col("process_user"))
    )
    target = pl.when(
        pl.col("switches_user") | pl.col("is_account_record") | changes_membership
    ).then(account)
    target_object = (
        pl.when(record_type == "EXECVE")
        .then(pl.col("argv"))
        .when(record_type == "USER_CMD")
        .then(pl.col("cmd"))
        .when(record_type == "PATH")
        .then(pl.col("name"))
        .when(record_type == "CWD")
        .then(pl.col("cwd"))
        .when(record_type == "PROCTITLE")
        .then(pl.col("proctitle"))
        .when(changes_membership)
        .then(pl.col("grp"))
        .when(pl.col("is_group_record"))
        .then(account)
        .otherwise(pl.col("exe"))
    )
    return [actor.alias("actor"), target.alias("target"), target_object.alias("object")]


def _error_column() -> pl.Expr:
    return (
        pl.when(pl.col("text").str.contains(REPLACEMENT_CHAR, literal=True))
        .then(pl.lit("line contains bytes that are not valid in the file's encoding"))
        .when(pl.col("type").is_null())
        .then(pl.lit(LINE_ERROR))
        .when(pl.col("timestamp").is_null())
        .then(pl.format("invalid audit time '{}'", pl.col("time_raw")))
        .otherwise(None)
        .alias("error")
    )


def _message() -> pl.Expr:
    """Build "USER_LOGIN op=login acct=root /usr/sbin/sshd addr=... res=failed"."""

    def part(label: str, value: pl.Expr) -> pl.Expr:
        return pl.format(f"{label}={{}}", value)

    return pl.concat_str(
        [
            pl.col("type"),
            part("op", pl.col("op")),
            part("acct", pl.col("acct")),
            part("syscall", pl.col("syscall")),
            pl.col("object"),
            part("addr", ip_or_null(pl.col("addr"))),
            part("res", pl.col("res")),
            part("success", pl.col("success")),
        ],
        separator=" ",
        ignore_nulls=True,
    )


def _event_columns() -> list[pl.Expr]:
    return [
        pl.col("timestamp"),
        pl.col("time_raw").alias("timestamp_raw"),
        pl.lit(0, pl.Int16).alias("tz_offset_min"),
        pl.lit(False).alias("tz_assumed"),
        pl.col("type").alias("event_code"),
        pl.col("event_category"),
        pl.col("event_action"),
        pl.col("outcome").alias("event_outcome"),
        *user_columns(clean_account(pl.col("actor"))),
        clean_account(pl.col("target")).str.to_lowercase().alias("target_user"),
        ip_or_null(pl.col("addr")).alias("source_ip"),
        pl.col("node").alias("host_name"),
        pl.col("object"),
        shorten(_message()).alias("message"),
    ]
