"""Impersonation attribution, country spellings, mail lists and low-and-slow rises."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from analytics_helpers import START, add, day, directory, event, routine

from analytics.config import AnalyticsConfig
from analytics.pipeline import analyze
from analytics.reference import classify_objects, country_code

SCORED_DAY = 44  # a Wednesday, after the warm-up
RISE_DAYS = range(50, 80)


def with_addresses(events: pl.DataFrame) -> pl.DataFrame:
    """Give every user their own workstation address, 10.0.0.<user number>."""
    number = pl.col("user_name").str.extract(r"(\d+)$").cast(pl.Int32)
    return events.with_columns(pl.format("10.0.0.{}", number + 10).alias("source_ip"))


@pytest.fixture(scope="module")
def base() -> pl.DataFrame:
    return with_addresses(routine())


def findings_of(result, user: str, detector: str, offset: int = SCORED_DAY):
    return result.findings.filter(
        (pl.col("identity") == user)
        & (pl.col("detector") == detector)
        & (pl.col("day") == START + timedelta(days=offset))
    )


def mails_as(account: str, address: str, count: int) -> list[dict]:
    return [
        event(
            account,
            day(SCORED_DAY) + timedelta(minutes=i),
            "mail-send",
            obj="all-staff@corp.example",
            source_ip=address,
        )
        for i in range(count)
    ]


def test_impersonation_blames_address_owner(base):
    events = add(base, mails_as("user07", "10.0.0.16", 20))

    result = analyze(events, directory())

    owner = findings_of(result, "user06", "impersonation")
    account = findings_of(result, "user07", "impersonation")
    assert owner.height == 1
    assert owner["feature"][0] == "mass_mail"
    assert "user07" in owner["reason"][0]
    assert owner["event_ids"][0].len() == 20
    assert account.height == 0


def test_impersonated_account_findings_discounted(base):
    events = add(base, mails_as("user07", "10.0.0.16", 60))
    full = AnalyticsConfig()

    result = analyze(events, directory(), config=full)
    alone = analyze(
        events,
        directory(),
        config=full.with_changes(
            detectors=tuple(d for d in full.detectors if d != "logon_as_other")
        ),
    )

    own = findings_of(result, "user07", "volume")
    undiscounted = findings_of(alone, "user07", "volume")
    assert undiscounted.height >= 1
    assert own.height == undiscounted.height
    assert own["score"].max() < 0.5 * undiscounted["score"].max()
    assert "reported for user06" in own["reason"][0]


def test_shared_address_quiet(base):
    shared = base.with_columns(
        pl.when(pl.col("user_name") == "user09")
        .then(pl.lit("10.0.0.18"))
        .otherwise(pl.col("source_ip"))
        .alias("source_ip")
    )

    result = analyze(shared, directory())

    found = result.findings.filter(pl.col("detector") == "impersonation")
    assert found.height == 0


def test_country_names_match_codes(base):
    trips = [10, 17, 24, 31, 38]
    rows = [
        event("user04", day(t), "logon", country="Germany", city=None) for t in trips
    ]
    rows.append(event("user04", day(SCORED_DAY), "logon", country="DE", city=None))
    events = add(base, rows)

    result = analyze(events, directory())

    assert findings_of(result, "user04", "new_country").height == 0


def test_country_code_spellings():
    names = pl.Series(["DE", "Germany", " germany ", "UK", "Atlantis", None])

    codes = pl.select(country_code(pl.lit(names))).to_series().to_list()

    assert codes == ["DE", "DE", "DE", "GB", "ATLANTIS", None]


def test_recipient_list_category():
    objects = pl.Series(
        ["ann@corp.example;me.home@gmail.com", "a@corp.example;b@corp.example"]
    )

    table = classify_objects(objects).sort("object")

    assert table["category"].to_list() == [None, "personal_mail"]
    assert table["host"].to_list() == ["corp.example", "gmail.com"]


def test_recipient_list_names_outside_recipient():
    objects = pl.Series(["ann@corp.example;bob@partner.example"])

    table = classify_objects(objects, ["corp.example"])

    assert table["host"].to_list() == ["partner.example"]


def rise(user: str, uploads: bool) -> list[dict]:
    """Eight more downloads a day for 30 days, and uploads every third day."""
    rows = []
    for offset in RISE_DAYS:
        if (START + timedelta(days=offset)).weekday() >= 5:
            continue
        rows += [
            event(
                user,
                day(offset) + timedelta(minutes=i),
                "file-download",
                obj=f"https://corp.sharepoint.com/Sales/extra{offset}-{i}.docx",
            )
            for i in range(8)
        ]
        if uploads and offset % 3 == 0:
            rows.append(
                event(
                    user,
                    day(offset) + timedelta(hours=3),
                    "http-request",
                    obj="https://www.dropbox.com/upload",
                    message="POST https://www.dropbox.com/upload",
                )
            )
    return rows


@pytest.fixture(scope="module")
def long_base() -> pl.DataFrame:
    return with_addresses(routine(days=80))


def test_low_and_slow_fires(long_base):
    events = add(long_base, rise("user03", uploads=True) + rise("user05", False))

    result = analyze(events, directory())

    late = START + timedelta(days=RISE_DAYS[-1] - 10)
    found = result.findings.filter(
        (pl.col("detector") == "low_and_slow") & (pl.col("day") >= late)
    )
    assert set(found["identity"].to_list()) == {"user03"}
    assert "uploads outside the organisation" in found["reason"][0]
