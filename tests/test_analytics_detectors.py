"""Detectors on small hand-built organisations: each fires, a look-alike stays quiet."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from analytics_helpers import START, add, day, directory, event, routine

from analytics.config import AnalyticsConfig
from analytics.pipeline import analyze

SCORED_DAY = 44  # a Wednesday, after the warm-up


@pytest.fixture(scope="module")
def base() -> pl.DataFrame:
    return routine()


def findings_on(result, user: str, feature: str, offset: int = SCORED_DAY):
    return result.findings.filter(
        (pl.col("identity") == user)
        & (pl.col("feature") == feature)
        & (pl.col("day") == START + timedelta(days=offset))
    )


def downloads(user: str, count: int, offset: int = SCORED_DAY) -> list[dict]:
    return [
        event(
            user,
            day(offset) + timedelta(minutes=i),
            "file-download",
            obj=f"https://corp.sharepoint.com/x/big{i}.docx",
        )
        for i in range(count)
    ]


def test_bulk_download_fires(base):
    events = add(base, downloads("user03", 150))

    result = analyze(events, directory())

    found = findings_on(result, "user03", "bulk_download")
    assert found.height == 1
    assert "files downloaded" in found["reason"][0]
    assert int(found["reason"][0].split()[0]) >= 150
    assert found["event_ids"][0].len() > 0


def test_peer_month_end_quiet(base):
    finance = [f"user{i:02d}" for i in range(1, 12, 2)]
    rows = [row for user in finance for row in downloads(user, 120)]
    events = add(base, rows)

    result = analyze(events, directory())

    quiet = result.findings.filter(
        pl.col("identity").is_in(finance) & (pl.col("feature") == "bulk_download")
    )
    assert quiet.height == 0


def test_impossible_travel_fires(base):
    rows = [
        event("user02", day(SCORED_DAY), "logon"),
        event(
            "user02",
            day(SCORED_DAY) + timedelta(minutes=40),
            "logon",
            country="RO",
            city="Bucharest",
        ),
    ]
    events = add(base, rows)

    result = analyze(events, directory())

    found = findings_on(result, "user02", "impossible_travel")
    assert found.height == 1
    assert "Bucharest" in found["reason"][0]


def test_usual_travel_country_quiet(base):
    trips = [10, 17, 24, 31, 38, SCORED_DAY]
    rows = [
        event("user04", day(offset), "logon", country="FR", city="Paris")
        for offset in trips
    ]
    events = add(base, rows)

    result = analyze(events, directory())

    assert findings_on(result, "user04", "new_country").height == 0
    assert findings_on(result, "user04", "impossible_travel").height == 0


def test_log_clear_fires(base):
    events = add(base, [event("user06", day(SCORED_DAY), "log-clear")])

    result = analyze(events, directory())

    assert findings_on(result, "user06", "log_clear").height == 1


def test_post_contract_fires(base):
    ended = START + timedelta(days=40)
    people = directory(user05={"end_date": ended.isoformat()})

    result = analyze(base, people)

    assert findings_on(result, "user05", "post_contract", 43).height == 1
    assert findings_on(result, "user05", "post_contract", 39).height == 0


def test_logon_as_other_fires(base):
    rows = [event("user06", day(SCORED_DAY), "logon-explicit", target_user="user07")]
    events = add(base, rows)

    result = analyze(events, directory())

    found = findings_on(result, "user06", "logon_as_other")
    assert found.height == 1
    assert "user07" in found["reason"][0]


def test_own_explicit_logon_quiet(base):
    rows = [
        event(
            "user06",
            day(SCORED_DAY),
            "logon-explicit",
            target_user="user06@corp.example",
        )
    ]
    events = add(base, rows)

    result = analyze(events, directory())

    assert findings_on(result, "user06", "logon_as_other").height == 0


def test_walk_forward_equivalence(base):
    events = add(base, downloads("user03", 150) + downloads("user08", 90, 47))
    cutoff = START + timedelta(days=SCORED_DAY)
    before = events.filter(pl.col("timestamp").dt.date() <= cutoff)

    full = analyze(events, directory()).risk.filter(pl.col("day") == cutoff)
    partial = analyze(before, directory()).risk.filter(pl.col("day") == cutoff)

    assert full.height > 0
    assert full.sort("identity").equals(partial.sort("identity"))


def test_benign_triage_lowers_risk(base):
    events = add(base, downloads("user03", 150))
    first = analyze(events, directory())
    finding = findings_on(first, "user03", "bulk_download")["finding_id"][0]
    triage = pl.DataFrame({"finding_id": [finding], "state": ["benign"]})

    second = analyze(events, directory(), triage=triage)

    day_scored = START + timedelta(days=SCORED_DAY)
    before = first.risk.filter(
        (pl.col("identity") == "user03") & (pl.col("day") == day_scored)
    )
    after = second.risk.filter(
        (pl.col("identity") == "user03") & (pl.col("day") == day_scored)
    )
    assert before.height == 1
    assert after.height == 0 or after["score"][0] < before["score"][0]


def test_risk_explains_top_feature(base):
    events = add(base, downloads("user03", 150))

    result = analyze(events, directory())

    row = result.risk.filter(
        (pl.col("identity") == "user03")
        & (pl.col("day") == START + timedelta(days=SCORED_DAY))
    )
    assert row["top_features"][0][0] == "bulk_download"


def test_baseline_configs_run(base):
    from analytics.config import AnalyticsConfig

    events = add(base, downloads("user03", 150))

    for name in ("most_events", "zscore_only", "isolation_only"):
        result = analyze(events, directory(), config=AnalyticsConfig.baseline(name))
        assert set(result.risk.columns) >= {"identity", "day", "score", "top_features"}


def outside_mail(user: str, size: int, to: str, offset: int = SCORED_DAY) -> dict:
    return event(user, day(offset), "mail-send", obj=to, bytes=size)


def test_large_outside_mail_ranks_medium(base):
    events = add(base, [outside_mail("user05", 30_000_000, "legal@partner.example")])

    result = analyze(events, directory())

    found = findings_on(result, "user05", "large_mail")
    risk = result.risk.filter(
        (pl.col("identity") == "user05")
        & (pl.col("day") == START + timedelta(days=SCORED_DAY))
    )
    assert found.height == 1
    assert found["reason"][0].startswith("one mail of 30.0 MB to partner.example")
    assert risk["level"].to_list() == ["medium"]


def test_large_mail_to_personal_address_ranks_high(base):
    events = add(base, [outside_mail("user05", 30_000_000, "me@gmail.com")])

    result = analyze(events, directory())

    risk = result.risk.filter(
        (pl.col("identity") == "user05")
        & (pl.col("day") == START + timedelta(days=SCORED_DAY))
    )
    assert (
        "a personal address" in findings_on(result, "user05", "large_mail")["reason"][0]
    )
    assert risk["level"].to_list() == ["high"]


def test_large_mail_like_earlier_ones_quiet(base):
    rows = [
        outside_mail("user05", 25_000_000, "legal@partner.example", offset)
        for offset in (30, 44)
    ]
    events = add(base, rows)

    result = analyze(events, directory())

    assert findings_on(result, "user05", "large_mail", 30).height == 1
    assert findings_on(result, "user05", "large_mail").height == 0


def test_second_day_of_bulk_download_fires(base):
    events = add(
        base, downloads("user03", 150) + downloads("user03", 200, SCORED_DAY + 1)
    )

    result = analyze(events, directory())

    assert findings_on(result, "user03", "bulk_download").height == 1
    assert findings_on(result, "user03", "bulk_download", SCORED_DAY + 1).height == 1


def test_risk_counts_only_window_days(base):
    events = add(base, downloads("user03", 150))
    config = AnalyticsConfig(risk_window_days=3, min_risk=0.5)

    result = analyze(events, directory(), config=config)

    days = (
        result.risk.filter(pl.col("identity") == "user03").get_column("day").to_list()
    )
    scored = START + timedelta(days=SCORED_DAY)
    assert scored + timedelta(days=3) in days
    assert scored + timedelta(days=4) not in days
    assert result.risk.filter(pl.col("top_reasons").list.len() == 0).height == 0


def test_large_mail_without_directory_uses_account_domains(base):
    upn = base.with_columns(
        (pl.col("user_name") + "@corp.example").alias("user_name"),
        pl.lit(None, pl.String).alias("user_domain"),
    )
    rows = [
        outside_mail("user05@corp.example", 30_000_000, "user06@corp.example"),
        outside_mail("user07@corp.example", 30_000_000, "ann@partner.example"),
    ]
    events = add(upn, rows)

    result = analyze(events)

    flagged = result.findings.filter(pl.col("feature") == "large_mail")
    assert flagged.get_column("identity").to_list() == ["user07@corp.example"]
