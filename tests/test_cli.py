"""The `vigil` command line, run as a user runs it, in a separate process."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

MIXED_OFFSETS = """\
time,user,action
2024-03-04T09:41:17+01:00,alice,login
2024-03-04T09:41:17-05:00,bob,login
2024-03-04 09:41:17,carol,login
2024-07-04 09:41:17,dave,login
2024-03-04T09-41-17+00:00,erin,login
"""


def run_vigil(*args: str, tz: str = "UTC") -> subprocess.CompletedProcess:
    env = dict(os.environ, TZ=tz, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def event_rows(case: Path) -> list[tuple]:
    con = duckdb.connect(str(case / "case.duckdb"), read_only=True)
    try:
        return con.execute(
            "SELECT user_name, strftime(timestamp, '%Y-%m-%d %H:%M:%S'), "
            "tz_offset_min, tz_assumed, timestamp_raw FROM events ORDER BY user_name"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("machine_tz", ["Asia/Tokyo", "America/New_York"])
def test_import_ignores_machine_zone(tmp_path, machine_tz):
    source = tmp_path / "mixed.csv"
    source.write_text(MIXED_OFFSETS, encoding="utf-8")
    case = tmp_path / "c.vigil"
    run_vigil("new", str(case))

    result = run_vigil(
        "import", str(case), str(source), "--tz", "Europe/Berlin", tz=machine_tz
    )

    assert result.returncode == 0, result.stderr
    assert event_rows(case) == [
        ("alice", "2024-03-04 08:41:17", 60, False, "2024-03-04T09:41:17+01:00"),
        ("bob", "2024-03-04 14:41:17", -300, False, "2024-03-04T09:41:17-05:00"),
        ("carol", "2024-03-04 08:41:17", 60, True, "2024-03-04 09:41:17"),
        ("dave", "2024-07-04 07:41:17", 120, True, "2024-07-04 09:41:17"),
    ]
    assert "1 quarantined" in result.stdout
    assert "Europe/Berlin" in result.stdout


def test_new_import_info(tmp_path):
    source = tmp_path / "mixed.csv"
    source.write_text(MIXED_OFFSETS, encoding="utf-8")
    case = tmp_path / "c.vigil"

    created = run_vigil("new", str(case), "--name", "Leaver")
    imported = run_vigil("import", str(case), str(source))
    again = run_vigil("import", str(case), str(source))
    info = run_vigil("info", str(case))

    assert created.returncode == 0, created.stderr
    assert imported.returncode == 0, imported.stderr
    assert "4 events, 1 quarantined, 0 duplicates skipped" in imported.stdout
    assert "0 events, 0 quarantined, 4 duplicates skipped" in again.stdout
    assert info.returncode == 0, info.stderr
    assert "Leaver" in info.stdout
    assert "events    4" in info.stdout


def test_import_unknown_binary_fails_cleanly(tmp_path):
    junk = tmp_path / "junk.dat"
    junk.write_bytes(bytes(range(256)) * 300)
    case = tmp_path / "c.vigil"
    run_vigil("new", str(case))

    result = run_vigil("import", str(case), str(junk))

    assert result.returncode == 1
    assert str(junk) in result.stdout
    assert "Traceback" not in result.stderr


def test_open_missing_case_message(tmp_path):
    result = run_vigil("info", str(tmp_path / "none.vigil"))

    assert result.returncode == 1
    assert "no case found" in result.stderr


def test_import_needs_existing_case(tmp_path):
    source = tmp_path / "mixed.csv"
    source.write_text(MIXED_OFFSETS, encoding="utf-8")

    result = run_vigil("import", str(tmp_path / "typo.vigil"), str(source))

    assert result.returncode == 1
    assert "vigil new" in result.stderr
    assert not (tmp_path / "typo.vigil").exists()


def test_new_rejects_evidence_folder(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "auth.log").write_text("x\n")

    result = run_vigil("new", str(tmp_path / "logs"))

    assert result.returncode == 1
    assert "not empty" in result.stderr
    assert not (tmp_path / "logs" / "case.duckdb").exists()


def test_folder_import_lists_skipped(tmp_path):
    folder = tmp_path / "in"
    (folder / ".git").mkdir(parents=True)
    (folder / "a.csv").write_text(MIXED_OFFSETS, encoding="utf-8")
    (folder / ".hidden.csv").write_text(MIXED_OFFSETS, encoding="utf-8")
    (folder / ".git" / "config").write_text("[core]\n")
    case = folder / "c.vigil"
    run_vigil("new", str(case))

    result = run_vigil("import", str(case), str(folder))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SKIPPED " + str(folder / ".hidden.csv") + " (hidden file)" in result.stdout
    assert "(part of a case)" in result.stdout
    assert event_rows(case)[0][0] == "alice"
    assert len(event_rows(case)) == 4


def test_year_must_have_four_digits(tmp_path):
    result = run_vigil("import", str(tmp_path / "c.vigil"), "x.log", "--year", "24")

    assert result.returncode == 2
    assert "four-digit year" in result.stderr


def test_truncated_gzip_is_partial(tmp_path):
    rows = "".join(
        f"2024-03-04T10:00:{i % 60:02d}Z,user{i},login\n" for i in range(5000)
    )
    whole = gzip.compress(("time,user,action\n" + rows).encode())
    source = tmp_path / "cut.csv.gz"
    source.write_bytes(whole[: len(whole) // 2])
    case = tmp_path / "c.vigil"
    run_vigil("new", str(case))

    result = run_vigil("import", str(case), str(source))

    assert result.returncode == 0, result.stderr
    assert "PARTIAL" in result.stdout
    assert "gzip stream is damaged or cut short" in result.stdout
    count = len(event_rows(case))
    assert 0 < count < 5000
    assert all(row[0].startswith("user") for row in event_rows(case))


def test_wrong_format_exits_nonzero(tmp_path):
    source = tmp_path / "mixed.csv"
    source.write_text(MIXED_OFFSETS, encoding="utf-8")
    case = tmp_path / "c.vigil"
    run_vigil("new", str(case))

    result = run_vigil("import", str(case), str(source), "--format", "syslog")

    assert result.returncode == 1
    assert "no events read" in result.stdout
    assert "quarantined 1:" in result.stdout


LOGONS = "time,user,action,host\n" + "".join(
    f"2024-03-{day:02d}T09:00:00Z,alice,login,ws1\n" for day in range(1, 21)
)


@pytest.fixture
def analysed_case(tmp_path) -> Path:
    case = tmp_path / "logons.vigil"
    source = tmp_path / "logons.csv"
    source.write_text(LOGONS, encoding="utf-8")
    assert run_vigil("new", str(case)).returncode == 0
    assert run_vigil("import", str(case), str(source)).returncode == 0
    return case


def test_analyze_reports_modes(analysed_case):
    first = run_vigil("analyze", str(analysed_case))
    second = run_vigil("analyze", str(analysed_case))

    assert first.returncode == 0
    assert first.stdout.startswith("full run, because the case has no earlier")
    assert second.stdout.startswith("no events were added since the last run")


def test_analyze_as_of_outside_events(analysed_case):
    result = run_vigil("analyze", str(analysed_case), "--as-of", "2030-01-01")

    assert result.returncode == 0
    assert "2030-01-01 is outside the events" in result.stdout
    assert "2024-03-01 to 2024-03-20" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("evaluate", "--seeds", "8-1"), "the end is below the start"),
        (("evaluate", "--seeds", "abc"), "invalid seeds 'abc'"),
        (("evaluate", "--jobs", "0"), "--jobs must be 1 or more"),
        (("synth", "out", "--users", "5"), "--users must be 20 or more"),
        (("synth", "out", "--insider-rate", "1.5"), "rate must be from 0 to 1"),
        (("analyze", "case", "--top", "0"), "--top must be 1 or more"),
    ],
)
def test_bad_option_is_usage_error(args, message):
    result = run_vigil(*args)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_link_unknown_account_noted(analysed_case):
    run_vigil("analyze", str(analysed_case))

    result = run_vigil("link", str(analysed_case), "bob", "alice")

    assert result.returncode == 0
    assert "note: account bob is not among the case's accounts" in result.stdout


def test_unlink_without_link_changes_nothing(analysed_case):
    result = run_vigil("link", str(analysed_case), "alice", "--remove")

    assert result.returncode == 0
    assert "had no investigator link; nothing changed" in result.stdout
