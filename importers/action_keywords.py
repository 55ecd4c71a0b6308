"""Keywords that map free-text actions onto the event vocabulary.

Tabular exports name their actions in words ("UserLoggedIn", "Failed login",
"FileDownloaded", "PutObject"). The text is lower-cased and stripped of
``_ - .`` and spaces, then matched against KEYWORD_ACTIONS in table
order, and the first pattern that matches gives the category and action.
Text that matches nothing gets the action "other".
"""

from __future__ import annotations

import polars as pl

_LOGIN = r"(login|logon|signin|loggedin|loggedon)"
_FAILED = r"(fail|denied|invalid|incorrect|wrong|bad)"

# (regular expression on the normalised text, category, action), first match wins.
KEYWORD_ACTIONS: tuple[tuple[str, str, str], ...] = (
    (rf"{_FAILED}.*{_LOGIN}|{_LOGIN}.*{_FAILED}", "authentication", "logon-failed"),
    (
        r"logoff|logout|signout|signedout|loggedout|loggedoff",
        "authentication",
        "logoff",
    ),
    (r"lockout|lockedout|accountlocked", "authentication", "account-locked"),
    (_LOGIN, "authentication", "logon"),
    (r"mfa|multifactor|2fa", "authentication", "mfa"),
    (r"reset.*password|password.*reset", "iam", "password-reset"),
    (r"(change|update|set).*password|password.*change", "iam", "password-change"),
    (r"(add|new).*member|member.*add", "iam", "group-member-added"),
    (r"remove.*member|member.*remov", "iam", "group-member-removed"),
    (r"(create|add|new)user|user(created|added)", "iam", "user-created"),
    (r"(delete|remove)user|user(deleted|removed)", "iam", "user-deleted"),
    (r"(disable)user|user(disabled)", "iam", "user-disabled"),
    (r"(enable)user|user(enabled)", "iam", "user-enabled"),
    (r"(set|update|change|modify)user|user(changed|updated)", "iam", "user-changed"),
    (r"(create|add|new)group|group(created|added)", "iam", "group-created"),
    (r"(create|add|new)accesskey", "iam", "access-key-created"),
    (r"sudo", "iam", "sudo"),
    (r"mailboxpermission", "email", "mailbox-permission"),
    (r"inboxrule", "email", "inbox-rule"),
    (r"forward", "email", "mail-forward-rule"),
    (r"mailitemsaccessed|mailboxlogin", "email", "mailbox-access"),
    (r"(add|assign|grant).*(role|permission|privilege)", "iam", "privilege-grant"),
    (r"(remove|revoke).*(role|permission|privilege)", "iam", "privilege-revoke"),
    (r"^send|mailsen[dt]", "email", "mail-send"),
    (r"policy", "configuration", "policy-change"),
    (r"download", "file", "file-download"),
    (r"upload|putobject", "file", "file-upload"),
    (r"export", "file", "export"),
    (r"delete", "file", "file-delete"),
    (r"shar(e|ing)", "file", "file-share"),
    (r"getobject|fileread|readfile", "file", "file-read"),
    (r"filemodified|filewrite|writefile", "file", "file-write"),
    (r"fileaccessed|fileopened|fileviewed|fileaccess", "file", "file-access"),
    (r"^list|listobjects|listbucket", "file", "list"),
    (r"clearlog|logclear|auditlogcleared", "audit", "log-clear"),
    (r"processcreat|processstart", "process", "process-start"),
    (r"^(set|update|modify|change)", "configuration", "config-change"),
)

_SEPARATORS = r"[\s_\-.]"


def _combined_pattern() -> str:
    """Join the keyword patterns into one regular expression, one group each.

    Every branch starts at the beginning of the text (``^`` then ``.*?``),
    so the regex engine tries the branches in table order and the first
    pattern that matches anywhere in the text wins.
    """
    branches = [
        f"(?P<rule{index}>.*?(?:{pattern}))"
        for index, (pattern, _, _) in enumerate(KEYWORD_ACTIONS)
    ]
    return "^(?:" + "|".join(branches) + ")"


COMBINED_PATTERN = _combined_pattern()


def classify_actions(texts: pl.Series, default_category: str | None) -> pl.DataFrame:
    """Map free-text actions to vocabulary values.

    Returns:
        A frame with the columns ``text``, ``event_category`` and
        ``event_action``, one row per value of `texts`. Text that matches
        no keyword gets `default_category` (or "other") and the action
        "other". Null text gives nulls.
    """
    normal = texts.str.to_lowercase().str.replace_all(_SEPARATORS, "")
    # Materialised once: each struct field below would otherwise rerun the regex.
    groups = normal.str.extract_groups(COMBINED_PATTERN).struct.unnest()
    rule = pl.coalesce(
        pl.when(pl.col(f"rule{index}").is_not_null()).then(pl.lit(index))
        for index in range(len(KEYWORD_ACTIONS))
    )
    indexes = list(range(len(KEYWORD_ACTIONS)))
    category = rule.replace_strict(
        indexes,
        [category for _, category, _ in KEYWORD_ACTIONS],
        default=pl.lit(default_category or "other"),
        return_dtype=pl.String,
    )
    action = rule.replace_strict(
        indexes,
        [action for _, _, action in KEYWORD_ACTIONS],
        default=pl.lit("other"),
        return_dtype=pl.String,
    )
    known = pl.col("text").is_not_null()
    return groups.with_columns(texts.alias("text")).select(
        "text",
        pl.when(known).then(category).alias("event_category"),
        pl.when(known).then(action).alias("event_action"),
    )
