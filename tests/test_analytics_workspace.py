"""Directory import, analysis storage and triage on a real DuckDB case."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from analytics_helpers import START, add, day, directory, event, routine

from analytics.config import AnalyticsConfig
from importers.base import SourceError
from workspace.analysis import AnalysisError, run_analysis, set_triage, top_risk
from workspace.directory import ensure_analytics_tables, import_directory


def insert_events(case, events: pl.DataFrame, source_id: int = 1) -> None:
    rows = events.with_columns(
        pl.lit(source_id).alias("source_id"),
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
    text = "user_id,department,end_date\nuser01,Sales,31/12/2024\n"
    path.write_text(text, encoding="utf-8")

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


SPLIT_DAY = 45
# A forest that scores from 100 training rows on, so that this small case
# exercises the forest's incremental path too.
SMALL_FOREST = AnalyticsConfig(forest_min_rows=100)


def snapshot(case) -> tuple[list, list]:
    findings = case.con.execute(
        "SELECT finding_id, identity, day, feature, score, reason, event_ids "
        "FROM findings ORDER BY finding_id"
    ).fetchall()
    risk = case.con.execute(
        "SELECT identity, day, score, level, top_features FROM risk "
        "ORDER BY identity, day"
    ).fetchall()
    return findings, risk


def downloads(user: str, offset: int, count: int) -> list[dict]:
    return [
        event(user, day(offset) + timedelta(minutes=i), "file-download", obj=f"x{i}")
        for i in range(count)
    ]


@pytest.fixture
def split_case(case, tmp_path):
    """A case holding days before SPLIT_DAY, analysed, and the later days apart."""
    events = add(
        routine(days=75), downloads("user03", 40, 150) + downloads("user08", 60, 120)
    )
    split = START + timedelta(days=SPLIT_DAY)
    insert_events(case, events.filter(pl.col("timestamp").dt.date() < split))
    path = tmp_path / "directory.csv"
    directory().write_csv(path)
    import_directory(case, path)
    first = run_analysis(case, SMALL_FOREST)
    assert first.mode == "full"
    return case, events.filter(pl.col("timestamp").dt.date() >= split)


def test_new_source_analysed_from_its_first_day(split_case):
    case, later = split_case
    split = START + timedelta(days=SPLIT_DAY)
    old = case.con.execute(
        "SELECT * FROM findings WHERE day < ? ORDER BY finding_id", [split]
    ).fetchall()
    insert_events(case, later, source_id=2)

    result = run_analysis(case, SMALL_FOREST)

    assert result.mode == "incremental"
    assert result.since == split
    assert result.findings["day"].min() >= split
    assert (
        case.con.execute(
            "SELECT * FROM findings WHERE day < ? ORDER BY finding_id", [split]
        ).fetchall()
        == old
    )
    assert "user08" in result.findings["identity"].to_list()


def test_incremental_run_equals_full_run(split_case):
    case, later = split_case
    insert_events(case, later, source_id=2)
    run_analysis(case, SMALL_FOREST)
    incremental = snapshot(case)

    result = run_analysis(case, SMALL_FOREST, full=True)

    assert result.mode == "full"
    assert "isolation_forest" in result.findings["detector"].to_list()
    assert incremental[0] and incremental[1]
    assert snapshot(case) == incremental


def test_no_new_events_recomputes_risk(split_case):
    case, _ = split_case
    finding = case.con.execute(
        "SELECT finding_id FROM findings WHERE identity = 'user03' "
        "AND feature = 'bulk_download'"
    ).fetchone()[0]
    findings_before, _ = snapshot(case)
    peak = "SELECT max(score) FROM risk WHERE identity = 'user03'"
    before = case.con.execute(peak).fetchone()[0]
    set_triage(case, finding, "benign")

    result = run_analysis(case, SMALL_FOREST)

    after = case.con.execute(peak).fetchone()[0]
    assert result.mode == "risk"
    assert snapshot(case)[0] == findings_before
    assert after is None or after < before


def test_changed_directory_runs_in_full(split_case, tmp_path):
    case, _ = split_case
    path = tmp_path / "directory2.csv"
    directory(user03={"department": "Sales"}).write_csv(path)
    import_directory(case, path)

    result = run_analysis(case, SMALL_FOREST)

    assert result.mode == "full"
    assert "directory" in result.mode_reason


def test_risk_level_column_added_to_older_case(case):
    ensure_analytics_tables(case)
    case.con.execute("ALTER TABLE risk DROP COLUMN level")

    ensure_analytics_tables(case)

    columns = [row[0] for row in case.con.execute("DESCRIBE risk").fetchall()]
    assert "level" in columns


def test_directory_without_people_columns_rejected(case, tmp_path):
    path = tmp_path / "ground_truth.csv"
    text = "scenario_id,user_id,start\nS1,user01,2024-01-02\n"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(SourceError, match="not a directory export"):
        import_directory(case, path)
