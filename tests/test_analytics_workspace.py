"""Directory import, analysis storage and triage on a real DuckDB case."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from analytics_helpers import START, add, day, directory, event, routine

from importers.base import SourceError
from workspace.analysis import AnalysisError, run_analysis, set_triage, top_risk
from workspace.directory import import_directory


def insert_events(case, events: pl.DataFrame) -> None:
    rows = events.with_columns(
        pl.lit(1).alias("source_id"),
        pl.col("event_id").alias("record_ref"),
    )
    case.con.register("new_events", rows.to_arrow())
    case.con.execute(
        "INSERT INTO events BY NAME SELECT event_id, source_id, timestamp, record_ref, "
        "user_name, user_domain, event_category, event_action, event_outcome, "
        "object, host_name, source_country, source_city, bytes FROM new_events"
    )
    case.con.unregister("new_events")


@pytest.fixture
def analysed(case, tmp_path):
    downloads = [
        event("user03", day(44) + timedelta(minutes=i), "file-download", obj=f"x{i}")
        for i in range(150)
    ]
    insert_events(case, add(routine(), downloads))
    path = tmp_path / "directory.csv"
    directory().write_csv(path)
    import_directory(case, path)
    run_analysis(case)
    return case


def test_directory_rows_stored(analysed):
    count = analysed.con.execute("SELECT count(*) FROM directory").fetchone()[0]

    assert count == 12


def test_directory_bad_date_rejected(case, tmp_path):
    path = tmp_path / "directory.csv"
    path.write_text("user_id,end_date\nuser01,31/12/2024\n", encoding="utf-8")

    with pytest.raises(SourceError, match="invalid end_date"):
        import_directory(case, path)


def test_findings_stored(analysed):
    rows = analysed.con.execute(
        "SELECT identity, feature, len(event_ids) FROM findings "
        "WHERE feature = 'bulk_download'"
    ).fetchall()

    assert ("user03", "bulk_download") in [(r[0], r[1]) for r in rows]
    assert all(r[2] > 0 for r in rows)


def test_top_risk_ranks_user(analysed):
    _, top = top_risk(analysed, START + timedelta(days=44))

    assert top["identity"][0] == "user03"


def test_identities_stored(analysed):
    rule = analysed.con.execute(
        "SELECT rule FROM identities WHERE account = 'corp\\user03'"
    ).fetchone()[0]

    assert rule == "directory"


def test_triage_round_trip(analysed):
    finding = analysed.con.execute(
        "SELECT finding_id FROM findings WHERE identity = 'user03' "
        "AND feature = 'bulk_download'"
    ).fetchone()[0]
    before = analysed.con.execute(
        "SELECT score FROM risk WHERE identity = 'user03' AND day = ?",
        [START + timedelta(days=44)],
    ).fetchone()[0]

    set_triage(analysed, finding, "benign", "expected migration")
    run_analysis(analysed)

    after = analysed.con.execute(
        "SELECT max(score) FROM risk WHERE identity = 'user03' AND day = ?",
        [START + timedelta(days=44)],
    ).fetchone()[0]
    assert after is None or after < before
    state = analysed.con.execute("SELECT state FROM triage").fetchone()[0]
    assert state == "benign"


def test_triage_unknown_finding(analysed):
    with pytest.raises(AnalysisError, match="not found"):
        set_triage(analysed, "nope", "benign")


def test_triage_invalid_state(analysed):
    with pytest.raises(AnalysisError, match="invalid triage state"):
        set_triage(analysed, "nope", "maybe")
