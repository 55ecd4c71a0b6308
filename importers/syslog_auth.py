"""Classification of Linux authentication messages (auth.log, secure, messages).

The rules below match the message part of a syslog line (after ``program[pid]:``)
as sshd, PAM, sudo, su, cron and the shadow-utils tools (useradd, groupadd,
usermod, gpasswd, passwd, userdel, chage, chfn) write it. Each rule is anchored
at the start of the message, and the first rule in table order that matches
wins. A message that no rule matches gets the category and action "other".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from importers.line_format import user_columns

# An IPv4 address, or IPv6 (optionally ending in an IPv4 part).
IP_PATTERN = (
    r"(?:\d{1,3}(?:\.\d{1,3}){3}"
    r"|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){1,7}(?::\d{1,3}(?:\.\d{1,3}){3})?)"
)
_IP_ONLY = rf"^{IP_PATTERN}$"

# "from 1.2.3.4" or "rhost=1.2.3.4" anywhere in a message the rules do not cover.
_ANY_SOURCE_IP = rf"(?:\bfrom |\brhost=)\[?({IP_PATTERN})"

# PAM services whose session runs with another account's rights, so an opened
# session is a logon with explicit credentials by the invoking user.
EXPLICIT_SERVICES = ("su", "su-l", "sudo", "sudo-i", "runuser", "runuser-l", "pkexec")

_PAM = r"(?:pam_unix\((?P<service>[^:)]+):{kind}\): )?"


@dataclass(frozen=True)
class AuthRule:
    """One message shape and the vocabulary values it maps to.

    Named groups the pattern may use:

    - ``user``: the acting account. ``target``: the account acted on.
    - ``account``, ``by`` and ``byuid``: a PAM session's account and the
      invoking user's name and uid.
    - ``ip``, ``object`` and ``service`` (the PAM service).
    - ``error``: a sudo failure reason. A non-empty one makes the outcome
      "failure".
    - ``fields``: the ``key=value`` text of a PAM message.
    """

    name: str
    pattern: str
    category: str
    action: str
    outcome: str


AUTH_RULES: tuple[AuthRule, ...] = (
    AuthRule(
        "ssh-accepted",
        r"Accepted [\w-]+ for (?P<user>.+?) from (?P<ip>\S+) port \d+",
        "authentication",
        "logon",
        "success",
    ),
    AuthRule(
        "ssh-failed",
        r"Failed [\w-]+ for (?:invalid user )?(?P<user>.*?) from (?P<ip>\S+) port \d+",
        "authentication",
        "logon-failed",
        "failure",
    ),
    AuthRule(
        "ssh-failed-repeated",
        r"message repeated \d+ times: \[ ?Failed [\w-]+ for (?:invalid user )?"
        r"(?P<user>.*?) from (?P<ip>\S+)",
        "authentication",
        "logon-failed",
        "failure",
    ),
    AuthRule(
        "ssh-invalid-user",
        r"Invalid user (?P<user>.*?) from (?P<ip>\S+)",
        "authentication",
        "logon-failed",
        "failure",
    ),
    AuthRule(
        "pam-auth-failure",
        _PAM.format(kind="auth") + r"authentication failure;(?P<fields>.*)",
        "authentication",
        "logon-failed",
        "failure",
    ),
    AuthRule(
        "session-opened",
        _PAM.format(kind="session")
        + r"session opened for user (?P<account>[^\s(]+)(?:\(uid=\d+\))?"
        r" by (?P<by>[^\s(]*)(?:\(uid=(?P<byuid>\d+)\))?",
        "authentication",
        "logon",
        "success",
    ),
    AuthRule(
        "session-closed",
        _PAM.format(kind="session") + r"session closed for user (?P<account>[^\s(]+)",
        "authentication",
        "logoff",
        "success",
    ),
    AuthRule(
        "sudo-command",
        r"\s*(?P<user>\S+) : (?:(?P<error>[^;]*?) ; )?TTY=\S* ; PWD=.*? ; "
        r"USER=(?P<target>\S+) ; (?:.*? ; )?COMMAND=(?P<object>.*)",
        "iam",
        "sudo",
        "success",
    ),
    AuthRule(
        "su-successful",
        r"Successful su for (?P<target>\S+) by (?P<user>\S+)",
        "authentication",
        "logon-explicit",
        "success",
    ),
    AuthRule(
        "su-failed",
        r"FAILED su for (?P<target>\S+) by (?P<user>\S+)",
        "authentication",
        "logon-explicit",
        "failure",
    ),
    AuthRule(
        "su-failed-to",
        r"FAILED SU \(to (?P<target>[^)\s]+)\) (?P<user>\S+) on \S+",
        "authentication",
        "logon-explicit",
        "failure",
    ),
    AuthRule(
        "su-to",
        r"\(to (?P<target>[^)\s]+)\) (?P<user>\S+) on \S+",
        "authentication",
        "logon-explicit",
        "success",
    ),
    AuthRule(
        "user-created",
        r"new user: name=(?P<target>[^,\s]+)",
        "iam",
        "user-created",
        "success",
    ),
    AuthRule(
        "group-created",
        r"new group: name=(?P<object>[^,\s]+)",
        "iam",
        "group-created",
        "success",
    ),
    AuthRule(
        "group-member-added",
        r"add '(?P<target>[^']+)' to group '(?P<object>[^']+)'",
        "iam",
        "group-member-added",
        "success",
    ),
    AuthRule(
        "gpasswd-member-added",
        r"user (?P<target>\S+) added by (?P<user>\S+) to group (?P<object>\S+)",
        "iam",
        "group-member-added",
        "success",
    ),
    AuthRule(
        "group-member-removed",
        r"delete '(?P<target>[^']+)' from group '(?P<object>[^']+)'",
        "iam",
        "group-member-removed",
        "success",
    ),
    AuthRule(
        "gpasswd-member-removed",
        r"user (?P<target>\S+) removed by (?P<user>\S+) from group (?P<object>\S+)",
        "iam",
        "group-member-removed",
        "success",
    ),
    AuthRule(
        "password-changed",
        r"(?:pam_unix\([^:)]+:chauthtok\): )?password changed for (?P<target>\S+)",
        "iam",
        "password-change",
        "success",
    ),
    AuthRule(
        "user-deleted",
        r"delete user '(?P<target>[^']+)'",
        "iam",
        "user-deleted",
        "success",
    ),
    AuthRule(
        "user-locked",
        r"lock user '(?P<target>[^']+)' password",
        "iam",
        "user-disabled",
        "success",
    ),
    AuthRule(
        "user-unlocked",
        r"unlock user '(?P<target>[^']+)' password",
        "iam",
        "user-enabled",
        "success",
    ),
    AuthRule(
        "usermod-change",
        r"change user '(?P<target>[^']+)' ",
        "iam",
        "user-changed",
        "success",
    ),
    AuthRule(
        "chfn-change",
        r"changed user '(?P<target>[^']+)' information",
        "iam",
        "user-changed",
        "success",
    ),
    AuthRule(
        "chage-change",
        r"changed password expiry for (?P<target>\S+)",
        "iam",
        "user-changed",
        "success",
    ),
    AuthRule(
        "cron-command",
        r"\((?P<user>[^)\s]+)\) CMD \((?P<object>.*)\)",
        "process",
        "command",
        "success",
    ),
    AuthRule(
        "ftp-anonymous-logon",
        r"ANONYMOUS FTP LOGIN FROM (?P<ip>[^\s,]+)(?:,\s*\((?P<user>[^)\s]*)\))?",
        "authentication",
        "logon",
        "success",
    ),
    AuthRule(
        "login-failed",
        r"FAILED LOGIN \(?\d+\)? (?:ON \S+ )?FROM (?P<ip>\S+) FOR (?P<user>[^,\s]+)",
        "authentication",
        "logon-failed",
        "failure",
    ),
    AuthRule(
        # login(1): "ROOT LOGIN ON tty2" or "LOGIN ON tty1 BY alice".
        "login-root",
        r"(?P<user>ROOT) LOGIN ON (?P<object>\S+)",
        "authentication",
        "logon",
        "success",
    ),
    AuthRule(
        "login",
        r"LOGIN ON (?P<object>\S+) BY (?P<user>\S+)",
        "authentication",
        "logon",
        "success",
    ),
    AuthRule(
        "klogind-failed",
        r"Authentication failed from (?P<ip>\S+)",
        "authentication",
        "logon-failed",
        "failure",
    ),
    AuthRule(
        "kerberos-failed",
        r"Kerberos authentication failed",
        "authentication",
        "logon-failed",
        "failure",
    ),
    AuthRule(
        "connection",
        r"[Cc]onnection from (?P<ip>[^\s,]+)",
        "network",
        "connection",
        "unknown",
    ),
)

_RULE_BY_NAME = {rule.name: index for index, rule in enumerate(AUTH_RULES)}
_GROUP = re.compile(r"\(\?P<(\w+)>")
RULE_PATTERNS = tuple(f"^(?:{rule.pattern})" for rule in AUTH_RULES)
_RULE_FIELDS = tuple(frozenset(_GROUP.findall(rule.pattern)) for rule in AUTH_RULES)
_FIELD_NAMES = tuple(sorted(set().union(*_RULE_FIELDS)))
# All rules at once without groups: a fast first pass that leaves most
# non-matching messages out of the rule-by-rule matching.
ANY_RULE_PATTERN = (
    "^(?:" + "|".join(_GROUP.sub("(?:", rule.pattern) for rule in AUTH_RULES) + ")"
)


def ip_or_null(value: pl.Expr) -> pl.Expr:
    """Keep `value` when it is an IPv4 or IPv6 address (brackets removed), else null."""
    bare = value.str.strip_chars("[]")
    return pl.when(bare.str.contains(_IP_ONLY)).then(bare).otherwise(None)


def clean_account(value: pl.Expr) -> pl.Expr:
    """Strip quotes and brackets from an account name.

    Placeholders such as ``?`` and ``(unknown)`` become null.
    """
    text = value.str.strip_chars().str.strip_chars("'\"[]")
    placeholder = text.str.to_lowercase().is_in(
        ["", "-", "?", "(unknown)", "unknown", "(null)", "(none)", "(invalid user)"]
    )
    return pl.when(placeholder).then(None).otherwise(text)


def match_rules(messages: pl.DataFrame) -> pl.DataFrame:
    """Find the first matching rule of each message and extract its fields.

    Args:
        messages: columns ``_row`` (a row key) and ``message``.

    Returns:
        One row per message that a rule matches: ``_row``, ``auth_rule`` (the
        index in AUTH_RULES) and a String column ``_<field>`` for each field
        name the rules use.

    Each rule is tried only on the messages that no earlier rule matched, and
    its fields are extracted only from the messages it matched. Regex work on
    a masked (null) row costs as much as on a real one, so rows are filtered
    out rather than masked.
    """
    remaining = messages.filter(pl.col("message").str.contains(ANY_RULE_PATTERN))
    parts = [
        pl.DataFrame(
            schema={
                "_row": messages.schema["_row"],
                "auth_rule": pl.Int16,
                **{f"_{name}": pl.String for name in _FIELD_NAMES},
            }
        )
    ]
    for index, pattern in enumerate(RULE_PATTERNS):
        if remaining.is_empty():
            break
        hit = remaining.get_column("message").str.contains(pattern)
        matched = remaining.filter(hit)
        remaining = remaining.filter(~hit)
        if matched.is_empty():
            continue
        fields = matched.select(
            pl.col("_row"),
            pl.lit(index, pl.Int16).alias("auth_rule"),
            pl.col("message").str.extract_groups(pattern).alias("fields"),
        ).unnest("fields")
        parts.append(fields.rename({name: f"_{name}" for name in _RULE_FIELDS[index]}))
    return pl.concat(parts, how="diagonal_relaxed")


def classify(frame: pl.DataFrame, message: str, program: str) -> pl.DataFrame:
    """Add the event vocabulary columns for the syslog messages in `frame`.

    Args:
        frame: one row per line.
        message: column with the text after ``program[pid]:``.
        program: column with the syslog tag without its PID, such as ``sshd``
            or ``sshd(pam_unix)``; it names the PAM service where the message
            does not.

    Returns:
        `frame` with event_category, event_action, event_outcome, user_name,
        user_domain, target_user, source_ip and object added.
    """
    frame = frame.with_row_index("_row")
    matched = match_rules(
        frame.select("_row", pl.col(message).fill_null("").alias("message"))
    )
    frame = frame.join(matched, on="_row", how="left", maintain_order="left")
    return _add_vocabulary(frame, message, program)


def _lookup(index: pl.Expr, values: list[str], default: str) -> pl.Expr:
    return index.replace_strict(
        list(range(len(values))), values, default=default, return_dtype=pl.String
    )


def _add_vocabulary(frame: pl.DataFrame, message: str, program: str) -> pl.DataFrame:
    """Map the matched rule and its fields (columns ``_user`` etc.) to event columns.

    The steps are separate ``with_columns`` calls so that each intermediate
    value is computed once.
    """
    rule = pl.col("auth_rule")
    # A PAM session opened by su or sudo runs as another account.
    service = pl.coalesce(pl.col("_service"), pl.col(program).str.replace(r"\(.*$", ""))
    frame = frame.with_columns(
        ((rule == _RULE_BY_NAME["session-opened"]) & service.is_in(EXPLICIT_SERVICES))
        .fill_null(False)
        .alias("_explicit"),
        pl.col("_fields").str.extract(r"(?:^|\s)user=(\S+)").alias("_pam_user"),
        pl.col("_fields").str.extract(r"rhost=(\S+)").alias("_rhost"),
        pl.col(message).str.extract(_ANY_SOURCE_IP).alias("_any_ip"),
    )
    explicit = pl.col("_explicit")
    # "by (uid=0)" names no account, but uid 0 is root on every Linux system.
    invoker = (
        pl.when(pl.col("_by") != "")
        .then(pl.col("_by"))
        .when(pl.col("_byuid") == "0")
        .then(pl.lit("root"))
    )
    frame = frame.with_columns(
        pl.coalesce(
            pl.col("_user"),
            pl.col("_pam_user"),
            pl.when(explicit).then(invoker).otherwise(pl.col("_account")),
        ).alias("_user_raw"),
        pl.coalesce(
            pl.col("_target"), pl.when(explicit).then(pl.col("_account"))
        ).alias("_target_raw"),
    )
    frame = frame.with_columns(
        clean_account(pl.col("_user_raw")).alias("_user_clean"),
        clean_account(pl.col("_target_raw")).str.to_lowercase().alias("target_user"),
        pl.coalesce(
            ip_or_null(pl.col("_ip")), ip_or_null(pl.col("_rhost")), pl.col("_any_ip")
        ).alias("source_ip"),
    )
    action = _lookup(rule, [r.action for r in AUTH_RULES], "other")
    outcome = _lookup(rule, [r.outcome for r in AUTH_RULES], "unknown")
    frame = frame.with_columns(
        _lookup(rule, [r.category for r in AUTH_RULES], "other").alias(
            "event_category"
        ),
        pl.when(explicit)
        .then(pl.lit("logon-explicit"))
        .otherwise(action)
        .alias("event_action"),
        pl.when(pl.col("_error").str.strip_chars() != "")
        .then(pl.lit("failure"))
        .otherwise(outcome)
        .alias("event_outcome"),
        *user_columns(pl.col("_user_clean")),
        pl.col("_object").str.strip_chars().alias("object"),
    )
    helpers = [name for name in frame.columns if name.startswith("_")]
    return frame.drop(helpers)


AUTH_COLUMNS = (
    "event_category",
    "event_action",
    "event_outcome",
    "user_name",
    "user_domain",
    "target_user",
    "source_ip",
    "object",
)


def auth_columns(message: pl.Expr, program: pl.Expr) -> list[pl.Expr]:
    """Return expressions for the columns that `classify` adds, one per column.

    NOTE: Polars evaluates each returned expression on its own, so the rules
    run once per column (eight times). Call `classify` on a frame where speed
    matters.
    """
    inputs = pl.struct(message.alias("message"), program.alias("program"))

    def column(name: str) -> pl.Expr:
        def run(batch: pl.Series) -> pl.Series:
            frame = classify(batch.struct.unnest(), "message", "program")
            return frame.get_column(name)

        return inputs.map_batches(run, return_dtype=pl.String).alias(name)

    return [column(name) for name in AUTH_COLUMNS]
