"""Detectors on whose accounts, machines and resources an identity uses."""

from __future__ import annotations

import polars as pl

from analytics.detectors.common import Context, findings_frame, sentence

# A host has an owner when one identity has at least this many logon days
# on it and at least this share of all its logon days before the day scored.
OWNER_MIN_DAYS = 5
OWNER_MIN_SHARE = 0.6
SNOOP_WINDOW_DAYS = 14
# Events of other accounts from an identity's own address in one day before
# they are reported as impersonation.
IMPERSONATION_MIN_EVENTS = 2
# Earlier days on which the account used the address, at most.
IMPERSONATION_MAX_EARLIER_DAYS = 3
# Share of its score that a finding keeps on a day another person used
# the account from their own address.
IMPERSONATED_WEIGHT = 0.2


def host_owners(events: pl.DataFrame) -> pl.DataFrame:
    """Return each host's owner as of the start of every day it saw logons.

    The owner is the identity with the most logon days on the host before
    that day. Columns: host, day, owner_iid, owner_days, host_days.
    """
    logons = events.filter(pl.col("is_logon") & pl.col("host").is_not_null())
    return owners(logons, "host")


def owners(events: pl.DataFrame, key: str) -> pl.DataFrame:
    """Return the owner of each `key` value as of the start of every day it occurs.

    The owner is the identity with the most active days on that value
    (host, IP address) before the day. Columns: `key`, day, owner_iid,
    owner_days, host_days (identity-days on the value, all identities).
    """
    days = (
        events.filter(pl.col(key).is_not_null())
        .select(key, "iid", "day")
        .unique()
        .sort(key, "day", "iid")
    )
    days = days.with_columns(
        pl.int_range(1, pl.len() + 1).over(key, "iid").alias("count"),
        pl.int_range(1, pl.len() + 1).over(key).alias("total"),
    )
    leader = pl.col("count") == pl.col("count").cum_max().over(key)
    days = days.with_columns(
        pl.when(leader).then(pl.col("iid")).alias("owner_iid"),
        pl.when(leader).then(pl.col("count")).alias("owner_days"),
    ).with_columns(
        pl.col("owner_iid").forward_fill().over(key),
        pl.col("owner_days").forward_fill().over(key),
    )
    end_of_day = (
        days.group_by(key, "day")
        .agg(
            pl.col("owner_iid").last(),
            pl.col("owner_days").last(),
            pl.col("total").last().alias("host_days"),
        )
        .sort(key, "day")
    )
    shifted = [
        pl.col(name).shift(1).over(key).alias(name)
        for name in ("owner_iid", "owner_days", "host_days")
    ]
    return end_of_day.with_columns(shifted)


def _owned() -> pl.Expr:
    return (pl.col("owner_days") >= OWNER_MIN_DAYS) & (
        pl.col("owner_days") >= OWNER_MIN_SHARE * pl.col("host_days")
    )


def _foreign_host_logons(ctx: Context) -> pl.DataFrame:
    owners = host_owners(ctx.events)
    logons = ctx.events.filter(pl.col("is_logon") & pl.col("host").is_not_null())
    logons = logons.select("event_id", "iid", "day", "host").join(
        owners, on=["host", "day"], how="left"
    )
    return logons.filter(_owned() & (pl.col("owner_iid") != pl.col("iid")))


def logon_as_other(ctx: Context) -> pl.DataFrame:
    """Report logons with another person's credentials (explicit credentials).

    Explicit-credential events whose target account resolves to another
    identity are reported for the identity that used them.
    """
    explicit = ctx.events.filter(
        pl.col("is_explicit")
        & pl.col("target_iid").is_not_null()
        & (pl.col("target_iid") != pl.col("iid"))
    )
    names = ctx.people.select(
        pl.col("iid").alias("target_iid"), pl.col("identity").alias("target")
    )
    per_day = (
        explicit.join(names, on="target_iid", how="left")
        .group_by("iid", "day")
        .agg(
            pl.len().alias("count"),
            pl.col("target").unique().sort().alias("targets"),
            pl.col("host").drop_nulls().first().alias("host"),
            pl.col("event_id").head(ctx.config.evidence_cap).alias("event_ids"),
        )
    )
    reason = sentence(
        "used the credentials of {} {} time(s) from host {}",
        pl.col("targets").list.join(", "),
        pl.col("count"),
        pl.col("host").fill_null("unknown"),
    )
    score = 60.0 + 10.0 * pl.col("targets").list.len().clip(upper_bound=4)
    explicit_findings = findings_frame(
        per_day, "logon_as_other", "logon_as_other", score, reason, None, ctx.config
    ).with_columns(per_day["event_ids"])
    return pl.concat([explicit_findings, used_from_own_address(ctx)])


def impersonated_events(ctx: Context) -> pl.DataFrame:
    """Return events of an account that came from another identity's own address.

    Columns: event_id, iid (the account's identity), day, ip, is_mail and
    owner_iid (the identity that usually works from that address). The
    frame is computed once per run and kept in `ctx.shared`.
    """
    if "impersonated" not in ctx.shared:
        ctx.shared["impersonated"] = _impersonated_events(ctx)
    return ctx.shared["impersonated"]


def _impersonated_events(ctx: Context) -> pl.DataFrame:
    events = ctx.events.filter(pl.col("ip").is_not_null())
    address_owners = owners(events, "ip")
    # The usual user must be at that address the same day: an address that a
    # DHCP or VPN pool hands to someone else after them is no impersonation.
    # The account must also be new at that address, because an egress or VPN
    # address that several people share every day is no impersonation.
    seen = events.select("iid", "day", "ip").unique().sort("iid", "ip", "day")
    seen = seen.with_columns(
        pl.int_range(pl.len()).over("iid", "ip").alias("earlier_days")
    )
    present = seen.select(pl.col("iid").alias("owner_iid"), "day", "ip")
    return (
        events.select("event_id", "iid", "day", "ip", "is_mail")
        .join(address_owners, on=["ip", "day"], how="inner")
        .filter(_owned() & (pl.col("owner_iid") != pl.col("iid")))
        .join(present, on=["owner_iid", "day", "ip"], how="semi")
        .join(seen, on=["iid", "day", "ip"], how="left")
        .filter(pl.col("earlier_days") <= IMPERSONATION_MAX_EARLIER_DAYS)
        .select("event_id", "iid", "day", "ip", "is_mail", "owner_iid")
    )


def discount_impersonated(
    raw: pl.DataFrame, ctx: Context, weight: float = IMPERSONATED_WEIGHT
) -> pl.DataFrame:
    """Lower the findings of an account on the days another person used it.

    When `used_from_own_address` gives a day of account X to identity Y,
    X's own findings that day (mass mail, volumes) describe Y's acts. They
    keep `weight` of their score and their reason names Y, so the account's
    owner does not rank next to the person who used it.
    """
    foreign = impersonated_events(ctx)
    names = ctx.people.select(pl.col("iid").alias("owner_iid"), "identity")
    used = (
        foreign.group_by("iid", "day")
        .agg(pl.len().alias("_count"), pl.col("owner_iid").mode().first())
        .filter(pl.col("_count") >= IMPERSONATION_MIN_EVENTS)
        .join(names, on="owner_iid", how="left")
        .select(
            pl.col("iid").cast(pl.UInt32),
            "day",
            "_count",
            pl.col("identity").alias("_by"),
        )
    )
    if used.height == 0:
        return raw
    marked = raw.join(used, on=["iid", "day"], how="left")
    hit = pl.col("_by").is_not_null() & (pl.col("detector") != "impersonation")
    return marked.with_columns(
        pl.when(hit)
        .then(pl.col("score") * weight)
        .otherwise(pl.col("score"))
        .alias("score"),
        pl.when(hit)
        .then(
            pl.format(
                "{}; {} events of this account that day came from the address "
                "{} uses, and are reported for {}",
                pl.col("reason"),
                pl.col("_count"),
                pl.col("_by"),
                pl.col("_by"),
            )
        )
        .otherwise(pl.col("reason"))
        .alias("reason"),
    ).drop("_count", "_by")


def used_from_own_address(ctx: Context) -> pl.DataFrame:
    """Report other people's accounts acting from an identity's own IP address.

    Events of account X may come from an address that identity Y has used
    on most of its days (see OWNER_MIN_DAYS and OWNER_MIN_SHARE). Then the
    person at that address most likely used X's account, so the finding
    goes to Y, the address's usual user, and not to X. Mails sent that way make the
    feature "mass_mail", anything else "logon_as_other".
    """
    foreign = impersonated_events(ctx)
    names = ctx.people.select("iid", pl.col("identity").alias("account"))
    per_day = (
        foreign.join(names, on="iid", how="left")
        .group_by(pl.col("owner_iid").alias("iid"), "day")
        .agg(
            pl.len().alias("count"),
            pl.col("is_mail").sum().alias("mails"),
            pl.col("account").unique().sort().alias("accounts"),
            pl.col("ip").cast(pl.String).first().alias("address"),
            pl.col("event_id").sort().head(ctx.config.evidence_cap).alias("event_ids"),
        )
        .filter(pl.col("count") >= IMPERSONATION_MIN_EVENTS)
    )
    reason = sentence(
        "{} events of the account(s) {} came from {}, the address this person "
        "uses, {} of them sent mails",
        pl.col("count"),
        pl.col("accounts").list.join(", "),
        pl.col("address"),
        pl.col("mails"),
    )
    feature = (
        pl.when(pl.col("mails") * 2 >= pl.col("count"))
        .then(pl.lit("mass_mail"))
        .otherwise(pl.lit("logon_as_other"))
    )
    score = (
        40.0
        + 10.0 * pl.col("accounts").list.len().clip(upper_bound=3)
        + 10.0 * pl.col("count").cast(pl.Float64).log10().clip(upper_bound=2.0)
    )
    return findings_frame(
        per_day, "impersonation", feature, score, reason, None, ctx.config
    ).with_columns(per_day["event_ids"])


def snooping(ctx: Context) -> pl.DataFrame:
    """Report logons onto machines that belong to other people.

    A host belongs to someone when one identity has most of its logon
    days (see OWNER_MIN_DAYS and OWNER_MIN_SHARE). Logons that an
    explicit-credential event explains are left to logon_as_other. The score
    grows with the number of other people's machines in the last 14 days.
    """
    foreign = _foreign_host_logons(ctx)
    explained = (
        ctx.events.filter(pl.col("is_explicit"))
        .select(pl.col("target_iid").alias("iid"), "day", "host")
        .unique()
    )
    foreign = foreign.join(explained, on=["iid", "day", "host"], how="anti")
    per_day = (
        foreign.group_by("iid", "day")
        .agg(
            pl.col("owner_iid").n_unique().alias("owners"),
            pl.col("event_id").head(ctx.config.evidence_cap).alias("event_ids"),
        )
        .sort("iid", "day")
    )
    per_day = per_day.with_columns(
        pl.col("owners")
        .rolling_sum_by("day", window_size=f"{SNOOP_WINDOW_DAYS}d")
        .over("iid")
        .alias("recent")
    )
    mailbox = ctx.daily.filter(pl.col("mailbox_other") > 0).select(
        "iid", "day", "mailbox_other"
    )
    per_day = per_day.join(mailbox, on=["iid", "day"], how="full", coalesce=True)
    per_day = per_day.with_columns(
        pl.col("owners").fill_null(0),
        pl.col("recent").fill_null(0),
        pl.col("mailbox_other").fill_null(0),
    ).filter((pl.col("recent") >= 2) | (pl.col("mailbox_other") > 0))
    reason = sentence(
        "logged on to {} machine(s) of other people today and {} in the last "
        "{} days; opened other people's mailboxes {} time(s)",
        pl.col("owners"),
        pl.col("recent"),
        SNOOP_WINDOW_DAYS,
        pl.col("mailbox_other"),
    )
    score = (
        15.0
        + 8.0 * pl.col("recent").clip(upper_bound=8)
        + 10.0 * pl.col("mailbox_other").clip(upper_bound=4)
    )
    return findings_frame(
        per_day, "snooping", "snooping_logons", score, reason, None, ctx.config
    ).with_columns(per_day["event_ids"])


def peer_rare(ctx: Context) -> pl.DataFrame:
    """Report files that nobody in the identity's peer group had used before.

    Quiet during the case's warm-up, when every file is new to everyone.
    Until the identity's baseline window has left that warm-up behind, its
    highest earlier day is no guide (every file was new then), so the
    finding does not need to beat it.
    """
    config = ctx.config
    minimum = max(3, config.min_volume // 2)
    warm = 2 * config.warmup_days
    above_max = (
        pl.col("peer_rare") >= config.max_multiple * pl.col("peer_rare_max")
    ) | (ctx.case_age < warm + config.baseline_days)
    rows = ctx.daily.filter(
        (pl.col("peer_rare") >= minimum)
        & (pl.col("peer_rare_adj").fill_null(0.0) >= config.z_threshold)
        & above_max
        & (ctx.case_age >= warm)
        & (pl.col("active_index") >= config.warmup_days)
    )
    reason = sentence(
        "opened {} files that nobody in {} had opened before ({} files new to "
        "them in total)",
        pl.col("peer_rare"),
        pl.col("peer"),
        pl.col("new_objects"),
    )
    score = 20.0 + 6.0 * pl.col("peer_rare").clip(upper_bound=10)
    return findings_frame(
        rows, "peer_rare", "peer_rare_resource", score, reason, "is_peer_rare", config
    )
