"""Identity resolution: which account strings belong to one person.

An account string as the events show it (``CORP\\jdoe``, ``jdoe@corp.example``,
``arn:aws:iam::123456789012:user/jdoe``, an Okta login, a Linux user name) is
linked to a directory ``user_id`` by these rules, first match wins:

1. ``override``: the investigator's own mapping.
2. ``directory``: the string is the user_id, the email or one of the
   ``accounts`` listed for the user (case-insensitive).
3. A name derived from the string equals the user_id, the email's local part
   or a name derived from one of the user's accounts. The rule names the
   derivation: ``domain-user`` (DOMAIN\\user), ``upn-local-part`` (UPN or
   Okta login), ``aws-arn`` (IAM user name or assumed-role session name),
   ``user-name`` (a bare name such as a Linux account).
4. ``unmatched``: the account becomes an identity of its own.
"""

from __future__ import annotations

import polars as pl

IDENTITY_SCHEMA = {"account": pl.String, "identity": pl.String, "rule": pl.String}

_ARN_USER = r"^arn:aws[a-z-]*:(?:iam|sts)::\d*:user/(?:[^/]*/)*([^/]+)$"
_ARN_SESSION = r"^arn:aws[a-z-]*:(?:iam|sts)::\d*:assumed-role/[^/]+/([^/]+)$"


def account_expr(user_name: str = "user_name", user_domain: str = "user_domain"):
    """Return an expression that writes the account string of an event.

    A bare user name with a domain becomes ``domain\\user``; UPNs, ARNs and
    names without a domain stay as they are. The result is lower case.
    """
    name = pl.col(user_name).str.strip_chars().str.to_lowercase()
    domain = pl.col(user_domain).str.strip_chars().str.to_lowercase()
    keep_bare = (
        domain.is_null()
        | (domain == "")
        | name.str.contains("@", literal=True)
        | name.str.contains("\\", literal=True)
        | name.str.starts_with("arn:")
    )
    return (
        pl.when(name.is_null() | (name == ""))
        .then(None)
        .when(keep_bare)
        .then(name)
        .otherwise(pl.concat_str([domain, pl.lit("\\"), name]))
    )


def derived_name(column: str = "account") -> tuple[pl.Expr, pl.Expr]:
    """Return expressions for the short name behind an account and its rule."""
    text = pl.col(column)
    arn_user = text.str.extract(_ARN_USER, 1)
    arn_session = text.str.extract(_ARN_SESSION, 1)
    arn_name = pl.coalesce(arn_user, arn_session)
    arn_name = arn_name.str.replace(r"@.*$", "")
    after_domain = text.str.extract(r"^[^\\]*\\(.+)$", 1)
    local_part = text.str.extract(r"^([^@]+)@", 1)
    name = (
        pl.when(arn_name.is_not_null())
        .then(arn_name)
        .when(after_domain.is_not_null())
        .then(after_domain.str.replace(r"@.*$", ""))
        .when(local_part.is_not_null())
        .then(local_part)
        .otherwise(text)
    )
    rule = (
        pl.when(arn_name.is_not_null())
        .then(pl.lit("aws-arn"))
        .when(after_domain.is_not_null())
        .then(pl.lit("domain-user"))
        .when(local_part.is_not_null())
        .then(pl.lit("upn-local-part"))
        .otherwise(pl.lit("user-name"))
    )
    return name, rule


def _directory_keys(directory: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (full keys, derived-name keys) of the directory, each key -> user."""
    users = directory.select(
        pl.col("user_id").cast(pl.String).str.strip_chars().str.to_lowercase(),
        pl.col("email").cast(pl.String).str.strip_chars().str.to_lowercase()
        if "email" in directory.columns
        else pl.lit(None, pl.String).alias("email"),
        pl.col("accounts").cast(pl.String).str.to_lowercase().str.split(";")
        if "accounts" in directory.columns
        else pl.lit(None, pl.List(pl.String)).alias("accounts"),
    ).filter(pl.col("user_id").is_not_null() & (pl.col("user_id") != ""))
    listed = (
        users.select("user_id", "accounts")
        .explode("accounts")
        .select("user_id", pl.col("accounts").str.strip_chars().alias("key"))
    )
    full = pl.concat(
        [
            users.select("user_id", pl.col("user_id").alias("key")),
            users.select("user_id", pl.col("email").alias("key")),
            listed,
        ]
    )
    full = full.filter(pl.col("key").is_not_null() & (pl.col("key") != ""))
    name, _ = derived_name("key")
    names = full.select("user_id", name.alias("key"))
    return _first_per_key(full), _first_per_key(names)


def _first_per_key(keys: pl.DataFrame) -> pl.DataFrame:
    """Keep one user per key: the smallest user_id, so the result is stable."""
    return (
        keys.filter(pl.col("key").is_not_null() & (pl.col("key") != ""))
        .group_by("key")
        .agg(pl.col("user_id").min())
    )


def resolve_accounts(
    accounts: pl.Series | list[str],
    directory: pl.DataFrame | None = None,
    overrides: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Map account strings onto identities.

    Args:
        accounts: account strings in any of the forms above; nulls are dropped.
        directory: frame with user_id, email and accounts (semicolon list).
        overrides: frame of account -> identity chosen by the investigator.

    Returns:
        One row per distinct lower-cased account: account, identity, rule.
    """
    frame = (
        pl.DataFrame({"account": pl.Series(accounts, dtype=pl.String)})
        .select(pl.col("account").str.strip_chars().str.to_lowercase())
        .filter(pl.col("account").is_not_null() & (pl.col("account") != ""))
        .unique(maintain_order=True)
    )
    name, name_rule = derived_name("account")
    frame = frame.with_columns(name.alias("name"), name_rule.alias("name_rule"))
    if directory is not None and directory.height:
        full, names = _directory_keys(directory)
        frame = frame.join(
            full.rename({"key": "account", "user_id": "by_full"}),
            on="account",
            how="left",
        ).join(
            names.rename({"key": "name", "user_id": "by_name"}), on="name", how="left"
        )
    else:
        frame = frame.with_columns(
            pl.lit(None, pl.String).alias("by_full"),
            pl.lit(None, pl.String).alias("by_name"),
        )
    frame = frame.with_columns(
        pl.coalesce("by_full", "by_name", "account").alias("identity"),
        pl.when(pl.col("by_full").is_not_null())
        .then(pl.lit("directory"))
        .when(pl.col("by_name").is_not_null())
        .then(pl.col("name_rule"))
        .otherwise(pl.lit("unmatched"))
        .alias("rule"),
    )
    frame = frame.select(IDENTITY_SCHEMA.keys())
    return apply_overrides(frame, overrides)


def apply_overrides(
    identities: pl.DataFrame, overrides: pl.DataFrame | None
) -> pl.DataFrame:
    """Replace the identity of every account the investigator mapped by hand."""
    if overrides is None or overrides.height == 0:
        return identities
    chosen = overrides.select(
        pl.col("account").str.strip_chars().str.to_lowercase(),
        pl.col("identity").str.strip_chars().str.to_lowercase().alias("chosen"),
    ).unique("account", keep="last")
    joined = identities.join(chosen, on="account", how="left")
    return joined.select(
        "account",
        pl.coalesce("chosen", "identity").alias("identity"),
        pl.when(pl.col("chosen").is_not_null())
        .then(pl.lit("override"))
        .otherwise(pl.col("rule"))
        .alias("rule"),
    )
