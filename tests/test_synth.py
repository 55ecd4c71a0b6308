"""Synthetic organisation: determinism, structure, real imports and detection floors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analytics import evaluation
from analytics.synthetic import generate
from analytics.synthetic.scenarios import KINDS
from app import evaluation_run
from workspace import Workspace

SMALL = {"users": 60, "days": 45, "seed": 7, "insider_rate": 0.2}
START = date(2024, 1, 1)
# Deliberately malformed lines: 2 in the Windows CSV, 1 in auth.log,
# 2 in the proxy log and 1 in the sign-in log.
DIRTY_LINES = 6


@pytest.fixture(scope="module")
def small_org(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synth") / "org"
    generate(folder, **SMALL)
    return folder


@pytest.fixture(scope="module")
def small_case(small_org: Path, tmp_path_factory):
    root = tmp_path_factory.mktemp("case") / "synth.vigil"
    workspace = Workspace.create(root)
    results = evaluation_run.import_logs(workspace, small_org / "logs")
    yield workspace, results
    workspace.close()


def _file_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_same_seed_same_bytes(tmp_path: Path):
    generate(tmp_path / "a", users=30, days=20, seed=3, insider_rate=0.1)
    generate(tmp_path / "b", users=30, days=20, seed=3, insider_rate=0.1)

    first = _file_bytes(tmp_path / "a")
    second = _file_bytes(tmp_path / "b")

    assert sorted(first) == sorted(second)
    assert first == second


def test_other_seed_other_bytes(tmp_path: Path):
    generate(tmp_path / "a", users=30, days=20, seed=3, insider_rate=0.1)
    generate(tmp_path / "b", users=30, days=20, seed=4, insider_rate=0.1)

    first = _file_bytes(tmp_path / "a")
    second = _file_bytes(tmp_path / "b")

    assert first["directory.csv"] != second["directory.csv"]


def test_directory_structure(small_org: Path):
    directory = evaluation_run.read_directory(small_org)

    departments = set(directory.get_column("department"))
    ends = directory.get_column("end_date").drop_nulls()
    starts = directory.get_column("start_date")
    ids = set(directory.get_column("user_id"))
    managers = set(directory.get_column("manager").drop_nulls()) - {""}

    assert {"Sales", "Finance", "Engineering", "IT", "Contractors"} <= departments
    assert ends.len() >= 1
    assert (starts >= START).sum() >= 1
    assert managers <= ids
    assert directory.get_column("accounts").str.contains(r"CORP\\").all()


def test_weekends_quieter(small_org: Path):
    lines = pl.read_csv(
        small_org / "logs" / "windows" / "SecurityEvent.csv",
        columns=["TimeGenerated"],
        ignore_errors=True,
    )
    days = lines.select(
        pl.col("TimeGenerated").str.slice(0, 10).str.to_date(strict=False).alias("day")
    ).drop_nulls()
    per_day = (
        days.group_by("day").len().with_columns(weekend=pl.col("day").dt.weekday() >= 6)
    )

    weekday_mean = per_day.filter(~pl.col("weekend")).get_column("len").mean()
    weekend_mean = per_day.filter(pl.col("weekend")).get_column("len").mean()

    assert weekend_mean < 0.25 * weekday_mean


def test_dense_mode_has_every_scenario(tmp_path: Path):
    generate(tmp_path / "org", users=300, days=30, seed=11, insider_rate=0.04)

    truth = evaluation.read_ground_truth(tmp_path / "org")

    assert set(truth.get_column("scenario")) == set(KINDS)
    assert (truth.get_column("event_count") > 0).all()


def test_sparse_mode_few_insiders(tmp_path: Path):
    generate(tmp_path / "org", users=250, days=20, seed=12, insider_rate=0.004)

    truth = evaluation.read_ground_truth(tmp_path / "org")

    assert truth.height == 1


def test_every_file_imports(small_case):
    workspace, results = small_case

    failed = [str(r.path) for r in results if r.report is None]
    quarantined = sum(r.report.quarantined for r in results if r.report)

    assert failed == []
    assert quarantined == DIRTY_LINES


def test_injected_records_imported(small_case, small_org: Path):
    workspace, _ = small_case
    injected = evaluation_run.injected_event_ids(small_org)

    found = workspace.con.execute(
        "SELECT event_id, event_action FROM events WHERE event_id IN "
        "(SELECT unnest(?))",
        [injected.get_column("event_id").to_list()],
    ).pl()

    assert injected.height > 0
    assert found.height == injected.height


def test_injected_actions(small_case, small_org: Path):
    workspace, _ = small_case
    injected = evaluation_run.injected_event_ids(small_org)
    truth = evaluation.read_ground_truth(small_org)
    events = workspace.con.execute(
        "SELECT event_id, event_action FROM events WHERE event_id IN "
        "(SELECT unnest(?))",
        [injected.get_column("event_id").to_list()],
    ).pl()
    actions = (
        injected.join(events, on="event_id")
        .join(truth.select("scenario_id", "scenario"), on="scenario_id")
        .group_by("scenario")
        .agg(pl.col("event_action").unique())
    )
    by_kind = {row[0]: set(row[1]) for row in actions.iter_rows()}

    assert {"usb-mount", "usb-copy"} <= by_kind["after_hours_usb_leak"]
    assert "logon-explicit" in by_kind["admin_impersonation"]
    assert "mail-send" in by_kind["admin_impersonation"]
    assert "file-download" in by_kind["post_contract"]
    assert "http-request" in by_kind["departing_employee"]
    assert by_kind["accidental_leak"] == {"mail-send"}


def test_metrics_on_known_risk():
    truth = pl.DataFrame(
        {
            "scenario_id": ["S1", "S2"],
            "scenario": ["bulk_download", "low_and_slow"],
            "user_id": ["ann", "bob"],
            "start": [date(2024, 1, 10), date(2024, 1, 5)],
            "end": [date(2024, 1, 11), date(2024, 1, 20)],
            "expected_features": ["bulk_download;volume", "volume"],
        }
    )
    risk = pl.DataFrame(
        {
            "identity": ["ann", "cat", "cat"],
            "day": [date(2024, 1, 12), date(2024, 1, 12), date(2024, 1, 13)],
            "score": [50.0, 40.0, 10.0],
            "top_features": [["volume"], ["usb"], ["usb"]],
        }
    )

    run = evaluation.evaluate_run(risk, truth, users=1000, days=10)
    summary = evaluation.summarise([run])

    assert summary.recall == {"bulk_download": 1.0, "low_and_slow": 0.0}
    assert summary.median_days == 2.0
    assert summary.precision == pytest.approx(1 / 3)
    assert summary.benign_per_1000_per_day == pytest.approx(0.2)
    assert summary.reasons_correct == 1.0


def test_medium_level_counted_apart_from_top_ten():
    truth = pl.DataFrame(
        {
            "scenario_id": ["S1", "S2"],
            "scenario": ["accidental_leak", "bulk_download"],
            "user_id": ["ann", "bob"],
            "start": [date(2024, 1, 10), date(2024, 1, 10)],
            "end": [date(2024, 1, 10), date(2024, 1, 10)],
            "expected_features": ["large_mail", "bulk_download"],
        }
    )
    risk = pl.DataFrame(
        {
            "identity": ["ann", "bob"],
            "day": [date(2024, 1, 10), date(2024, 1, 10)],
            "score": [25.0, 60.0],
            "top_features": [["large_mail"], ["bulk_download"]],
            "level": ["medium", "high"],
        }
    )

    summary = evaluation.summarise(
        [evaluation.evaluate_run(risk, truth, users=1000, days=10)]
    )

    assert summary.recall == {"accidental_leak": 0.0, "bulk_download": 1.0}
    assert summary.medium == {"accidental_leak": 1.0, "bulk_download": 0.0}


def test_evaluate_command_runs_seeds_in_parallel(tmp_path: Path, capsys):
    from app.cli import main

    out = tmp_path / "evaluation.md"
    code = main(
        [
            "evaluate",
            "--seeds",
            "201",
            "--users",
            "40",
            "--days",
            "30",
            "--insider-rate",
            "0.1",
            "--sparse-rate",
            "0.05",
            "--jobs",
            "2",
            "--workdir",
            str(tmp_path),
            "--out",
            str(out),
        ]
    )

    text = out.read_text(encoding="utf-8")
    assert code == 0
    assert "### Dense: insider rate 10.0%, seeds 201" in text
    assert "### Sparse: insider rate 5.0%, seeds 201" in text
    assert "with 2 seed(s) at a time" in text
    assert "Sparse seed 201:" in capsys.readouterr().err
    assert not any(path.name.startswith("vigil-eval-") for path in tmp_path.iterdir())


def test_evaluate_refuses_tuning_seeds(capsys):
    from app.cli import main

    code = main(["evaluate", "--seeds", "3"])

    assert code == 2
    assert "tuning seeds" in capsys.readouterr().err


def test_end_to_end_floors(small_case, small_org: Path):
    pytest.importorskip("analytics.pipeline", reason="analytics pipeline not built")
    from analytics.pipeline import AnalyticsConfig, analyze

    workspace, _ = small_case
    events = evaluation_run.load_events(workspace)
    directory = evaluation_run.read_directory(small_org)
    truth = evaluation.read_ground_truth(small_org)

    result = analyze(events, directory, None, AnalyticsConfig())
    run = evaluation.evaluate_run(result.risk, truth, SMALL["users"], SMALL["days"])
    summary = evaluation.summarise([run])

    # Floors a little below the values measured on this seed (recall 0.82,
    # precision 0.67, reasons 0.90, 1.9 benign per 1,000 per day). With 60
    # people one benign slot a day is already 17 per 1,000, so the benign
    # ceiling is looser than the full-size target.
    assert summary.overall_recall >= 0.7
    assert summary.precision >= 0.55
    assert summary.reasons_correct >= 0.8
    assert summary.benign_per_1000_per_day <= 5.0
