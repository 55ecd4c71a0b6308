"""The analytics entry point: events and directory in, findings and risk out.

Walk-forward by construction: every detector compares a day only with the
days before it (rolling baselines shifted by one day, first-seen flags,
forest blocks fitted on earlier blocks) and with the same day of the peer
group. So `analyze(events up to D)` yields the same risk for day D as
`analyze(all events)`.

That property makes incremental runs exact. When new events start on day S,
`analyze(..., since=S, earlier=findings before S)` returns only the findings
from S on, and the risk from S on computed over both, which is what a full
run would give for those days.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from analytics.baselines import with_baselines
from analytics.config import ALL_DETECTORS, AnalyticsConfig
from analytics.detectors import access, geo, rules, volume
from analytics.detectors.common import Context, empty_findings
from analytics.events import (
    conform_events,
    identity_table,
    people_table,
    prepare_events,
)
from analytics.features import (
    FIRST_SEEN_FLAGS,
    FirstSeen,
    daily_features,
    first_seen,
    first_seen_flag,
)
from analytics.isolation import isolation_forest
from analytics.risk import RISK_SCHEMA, risk_scores

__all__ = ["AnalysisResult", "AnalyticsConfig", "analyze", "ALL_DETECTORS"]

logger = logging.getLogger(__name__)

DETECTORS: dict[str, Callable[[Context], pl.DataFrame]] = {
    "log_clear": rules.log_clear,
    "privilege_grant": rules.privilege_grant,
    "post_contract": rules.post_contract,
    "failed_logon_burst": rules.failed_logon_burst,
    "impossible_travel": geo.travel_findings,
    "new_country": geo.new_country,
    "account_sharing": lambda ctx: empty_findings(),  # made by travel_findings
    "logon_as_other": access.logon_as_other,
    "snooping": access.snooping,
    "peer_rare": access.peer_rare,
    "volume": lambda ctx: pl.concat([volume.volume(ctx), volume.leak_upload(ctx)]),
    "large_mail": volume.large_mail,
    "after_hours": volume.after_hours,
    "job_search": volume.job_search,
    "low_and_slow": volume.low_and_slow,
    "isolation_forest": isolation_forest,
}

FINDINGS_SCHEMA: dict[str, pl.DataType] = {
    "finding_id": pl.String,
    "identity": pl.String,
    "day": pl.Date,
    "detector": pl.String,
    "feature": pl.String,
    "score": pl.Float64,
    "reason": pl.String,
    "event_ids": pl.List(pl.String),
}


@dataclass
class AnalysisResult:
    """The output of `analyze`.

    Attributes:
        identities: account, identity, rule.
        findings: FINDINGS_SCHEMA, one row per detector finding.
        risk: identity, day, score, top_reasons, top_features, level.
        daily: features and baselines per identity and day.
        timings: wall-clock seconds per pipeline stage.
        cpu_timings: CPU seconds (user and system, all threads) per stage.
        since: first day of `findings` and `risk` in an incremental run,
            None when they cover the whole case.
        last_day: last day with attributed events, where the risk ends.
        mode: "full", "incremental" or "risk", as the caller ran it.
        mode_reason: the caller's reason for that mode, for the investigator.
    """

    identities: pl.DataFrame
    findings: pl.DataFrame
    risk: pl.DataFrame
    daily: pl.DataFrame
    timings: dict[str, float]
    cpu_timings: dict[str, float] = field(default_factory=dict)
    since: date | None = None
    last_day: date | None = None
    mode: str = "full"
    mode_reason: str = ""


def analyze(
    events: pl.DataFrame,
    directory: pl.DataFrame | None = None,
    triage: pl.DataFrame | None = None,
    config: AnalyticsConfig | None = None,
    overrides: pl.DataFrame | None = None,
    since: date | None = None,
    earlier: pl.DataFrame | None = None,
) -> AnalysisResult:
    """Run identity resolution, features, baselines, detectors and risk.

    Args:
        events: events in the case schema (missing columns count as null).
        directory: user_id, email, department, role, manager, start_date,
            end_date, watch_list, accounts (semicolon list); optional.
        triage: finding_id, state (confirmed, benign or needs_review).
        config: the tunables (default: AnalyticsConfig()).
        overrides: account, identity pairs chosen by the investigator.
        since: return findings and risk from this day on only.
        earlier: the findings before `since` (FINDINGS_SCHEMA) from an
            earlier run, which the risk from `since` on builds on.
    """
    config = config or AnalyticsConfig()
    clock = _Clock()
    lazy_events = conform_events(events)
    identities = identity_table(lazy_events, directory, overrides)
    people = people_table(identities, directory, config)
    corporate = _corporate_domains(directory, config)
    if not corporate:
        corporate = guessed_domains(identities)
        if corporate:
            logger.info(
                "no directory mail domains: treating %s as the organisation's",
                ", ".join(corporate),
            )
    prepared = prepare_events(lazy_events, identities, people, corporate, config)
    del lazy_events
    clock.lap("prepare")
    if prepared.height == 0:
        return AnalysisResult(
            identities,
            pl.DataFrame(schema=FINDINGS_SCHEMA),
            pl.DataFrame(schema=RISK_SCHEMA),
            pl.DataFrame(),
            clock.laps,
            clock.cpu_laps,
        )
    seen = first_seen(prepared, people)
    daily = with_baselines(daily_features(prepared, people, seen), config)
    clock.lap("features")
    first_day, last_day = prepared["day"].min(), prepared["day"].max()
    if config.most_events_mode:
        risk = _most_events_risk(daily)
        return AnalysisResult(
            identities,
            pl.DataFrame(schema=FINDINGS_SCHEMA),
            risk,
            daily,
            clock.laps,
            clock.cpu_laps,
        )
    context = Context(prepared, daily, people, config, first_day, since)
    raw = []
    for name in config.detectors:
        raw.append(DETECTORS[name](context))
        clock.lap(name)
    raw = pl.concat(raw)
    if since is not None:
        raw = raw.filter(pl.col("day") >= since)
    if "logon_as_other" in config.detectors:
        raw = access.discount_impersonated(raw, context)
        clock.lap("impersonation")
    findings = _finish_findings(raw, prepared, seen, people, config)
    clock.lap("evidence")
    scored = findings
    if since is not None and earlier is not None and earlier.height:
        older = earlier.filter(pl.col("day") < since).select(FINDINGS_SCHEMA.keys())
        scored = pl.concat([older.cast(FINDINGS_SCHEMA), findings])
    risk = risk_scores(scored, last_day, config, triage)
    if since is not None:
        risk = risk.filter(pl.col("day") >= since)
    clock.lap("risk")
    return AnalysisResult(
        identities, findings, risk, daily, clock.laps, clock.cpu_laps, since, last_day
    )


class _Clock:
    """Wall-clock and process CPU time per pipeline stage."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        self.laps: dict[str, float] = {}
        self.cpu_laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.laps[name] = round(now - self.start, 3)
        self.cpu_laps[name] = round(cpu - self.cpu_start, 3)
        logger.debug(
            "analytics stage %s took %.2f s (%.2f CPU s)",
            name,
            now - self.start,
            cpu - self.cpu_start,
        )
        self.start, self.cpu_start = now, cpu


def _corporate_domains(
    directory: pl.DataFrame | None, config: AnalyticsConfig
) -> list[str]:
    domains = set(config.corporate_domains)
    if directory is not None and "email" in directory.columns:
        found = directory.select(
            pl.col("email").cast(pl.String).str.to_lowercase().str.extract(r"@(.+)$", 1)
        ).to_series()
        domains.update(d for d in found.drop_nulls().unique().to_list() if d)
    return sorted(domains)


def guessed_domains(identities: pl.DataFrame, share: float = 0.1) -> list[str]:
    """Return the mail domains of at least `share` of the UPN-style accounts.

    Without a directory, the domains that many accounts sign in with are
    the organisation's own, so mail to them is not external. A domain also
    needs three accounts, so a case with few accounts guesses nothing.
    """
    domains = identities.select(
        pl.col("account").str.extract(r"@([a-z0-9.-]+\.[a-z]{2,})$", 1).alias("domain")
    ).drop_nulls()
    if domains.height == 0:
        return []
    counts = domains.group_by("domain").len()
    floor = max(3, share * domains.height)
    return sorted(counts.filter(pl.col("len") >= floor).get_column("domain").to_list())


def _finish_findings(
    raw: pl.DataFrame,
    prepared: pl.DataFrame,
    seen: FirstSeen,
    people: pl.DataFrame,
    config: AnalyticsConfig,
) -> pl.DataFrame:
    """Attach event ids, identity names and stable finding ids."""
    if raw.height == 0:
        return pl.DataFrame(schema=FINDINGS_SCHEMA)
    raw = raw.with_row_index("_row")
    evidence = _evidence(raw, prepared, seen, config.evidence_cap)
    findings = raw.join(evidence, on="_row", how="left").with_columns(
        pl.coalesce("event_ids", "_found").alias("event_ids")
    )
    findings = findings.join(people.select("iid", "identity"), on="iid", how="left")
    keys = findings.select(
        pl.concat_str(
            ["identity", pl.col("day").cast(pl.String), "detector", "feature"],
            separator="|",
        )
    ).to_series()
    ids = [hashlib.sha256(key.encode()).hexdigest()[:16] for key in keys.to_list()]
    findings = findings.with_columns(pl.Series("finding_id", ids, dtype=pl.String))
    findings = findings.unique("finding_id", keep="first", maintain_order=True)
    return findings.select(FINDINGS_SCHEMA.keys()).sort("day", "identity", "detector")


def _evidence(
    raw: pl.DataFrame, prepared: pl.DataFrame, seen: FirstSeen, cap: int
) -> pl.DataFrame:
    """Return _row -> the `cap` smallest event ids of the finding's evidence flag.

    One lazy query per flag, all collected together so Polars can share the
    scan of the prepared events.
    """
    wanted = raw.filter(pl.col("event_ids").is_null()).select(
        "_row", "iid", "day", "evidence"
    )
    queries = []
    for flag in wanted["evidence"].unique().to_list():
        keys = wanted.filter(
            pl.col("evidence").is_null() if flag is None else pl.col("evidence") == flag
        )
        days = keys.select("iid", "day").unique().lazy()
        source = prepared.lazy()
        if flag is not None and flag not in FIRST_SEEN_FLAGS:
            source = source.filter(pl.col(flag))
        source = source.join(days, on=["iid", "day"], how="semi")
        if flag in FIRST_SEEN_FLAGS:
            source = first_seen_flag(source, seen, flag).filter(pl.col(flag))
        ids = source.group_by("iid", "day").agg(
            pl.col("event_id").bottom_k(cap).sort().alias("_found")
        )
        queries.append(
            keys.lazy()
            .join(ids, on=["iid", "day"], how="left")
            .select("_row", "_found")
        )
    if not queries:
        return pl.DataFrame(schema={"_row": pl.UInt32, "_found": pl.List(pl.String)})
    return pl.concat(pl.collect_all(queries))


def _most_events_risk(daily: pl.DataFrame) -> pl.DataFrame:
    """Rank identities by their event count that day: the trivial baseline."""
    return daily.select(
        "identity",
        "day",
        pl.col("events").cast(pl.Float64).alias("score"),
        pl.concat_list(pl.format("{} events that day", pl.col("events"))).alias(
            "top_reasons"
        ),
        pl.concat_list(pl.lit("volume")).alias("top_features"),
        pl.lit("high").alias("level"),
    )
