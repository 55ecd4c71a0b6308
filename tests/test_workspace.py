"""Case workspace: creation, version checks, atomic imports, audit chain, pages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from importers.base import ImportOptions, SourceError
from workspace import CaseError, Workspace
from workspace.importing import ImportCancelled, import_file, import_paths
from workspace.queries import EventFilter, PageCursor, count_events, fetch_page

ROWS = 2_500


def write_csv(path: Path, rows: int = ROWS, start_line: int = 0) -> Path:
    lines = ["timestamp,user,action,host,bytes"]
    for i in range(start_line, start_line + rows):
        minute, second = divmod(i, 60)
        hour, minute = divmod(minute, 60)
        lines.append(
            f"2024-03-04T{hour % 24:02d}:{minute:02d}:{second:02d}Z,"
            f"user{i % 7},download,ws{i % 3},{i}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def table_counts(root: Path) -> dict[str, int]:
    con = duckdb.connect(str(root / "case.duckdb"), read_only=True)
    try:
        return {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("events", "sources", "quarantine", "audit_log")
        }
    finally:
        con.close()


def test_create_then_open(tmp_path):
    root = tmp_path / "a.vigil"
    Workspace.create(root, name="Leaver").close()

    with Workspace.open(root) as workspace:
        assert workspace.name == "Leaver"
        assert workspace.summary()["events"] == 0


def test_create_twice_rejected(tmp_path):
    Workspace.create(tmp_path / "a.vigil").close()

    with pytest.raises(CaseError, match="already exists"):
        Workspace.create(tmp_path / "a.vigil")


def test_open_missing_case(tmp_path):
    with pytest.raises(CaseError, match="no case found"):
        Workspace.open(tmp_path / "nothing")


def test_open_newer_schema_rejected(tmp_path):
    root = tmp_path / "a.vigil"
    Workspace.create(root).close()
    con = duckdb.connect(str(root / "case.duckdb"))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()

    with pytest.raises(CaseError, match="schema version 99"):
        Workspace.open(root)


def test_audit_chain_detects_edit(case):
    case.audit("note", {"text": "first"})
    case.audit("note", {"text": "second"})
    assert case.verify_audit_log() == []

    case.con.execute("UPDATE audit_log SET detail = '{}' WHERE seq = 2")

    assert case.verify_audit_log() == [2]


@pytest.mark.parametrize(
    "content",
    [b"\x00" * 70_000, os.urandom(70_000)],
    ids=["zeros", "random"],
)
def test_binary_junk_rejected(case, tmp_path, content):
    path = tmp_path / "junk.bin"
    path.write_bytes(content)

    with pytest.raises(SourceError) as raised:
        import_file(case, path)

    assert str(path) in str(raised.value)
    assert case.summary()["events"] == 0
    assert case.sources().height == 0


def test_empty_file_rejected(case, tmp_path):
    path = tmp_path / "empty.log"
    path.write_bytes(b"")

    results = import_paths(case, [path])

    assert results[0].report is None
    assert "empty" in results[0].error


def test_reimport_adds_nothing(case, tmp_path):
    path = write_csv(tmp_path / "a.csv")
    first = import_file(case, path)

    second = import_file(case, path)

    assert first.events == ROWS
    assert second.events == 0
    assert second.duplicates == ROWS
    assert case.summary()["events"] == ROWS
    assert any("skipped" in note for note in second.notes)


def test_identical_lines_stay_two_events(case, tmp_path):
    path = tmp_path / "twice.csv"
    row = "2024-03-04T10:00:00Z,alice,download,ws1,10"
    path.write_text(f"timestamp,user,action,host,bytes\n{row}\n{row}\n")

    report = import_file(case, path)

    assert report.events == 2
    assert report.duplicates == 0


def test_cancel_leaves_case_unchanged(case, tmp_path):
    import_file(case, write_csv(tmp_path / "first.csv", rows=10))
    before = table_counts_live(case)
    path = write_csv(tmp_path / "big.csv", rows=ROWS)
    batches = []

    def cancelled() -> bool:
        batches.append(1)
        return len(batches) > 2

    with pytest.raises(ImportCancelled):
        import_file(case, path, ImportOptions(batch_rows=100), cancelled=cancelled)

    assert table_counts_live(case) == before


def test_failure_midway_leaves_case_unchanged(case, tmp_path):
    path = write_csv(tmp_path / "big.csv", rows=ROWS)
    before = table_counts_live(case)
    calls = []

    def explode(fraction: float, events: int) -> None:
        calls.append(events)
        if len(calls) == 3:
            raise RuntimeError("disk full")

    with pytest.raises(SourceError, match="disk full"):
        import_file(case, path, ImportOptions(batch_rows=100), progress=explode)

    assert calls[-1] > 0
    assert table_counts_live(case) == before


def table_counts_live(workspace: Workspace) -> dict[str, int]:
    return {
        table: workspace.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("events", "sources", "quarantine", "audit_log")
    }


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from importers.base import ImportOptions
    from workspace import Workspace
    from workspace.importing import import_file

    def progress(fraction, events):
        print("events", events, flush=True)

    workspace = Workspace.open(sys.argv[1])
    import_file(workspace, sys.argv[2], ImportOptions(batch_rows=2000), progress)
    print("finished", flush=True)
    """
)


def test_killed_process_leaves_case_unchanged(tmp_path):
    root = tmp_path / "k.vigil"
    with Workspace.create(root) as workspace:
        import_file(workspace, write_csv(tmp_path / "small.csv", rows=5))
    before = table_counts(root)
    big = write_csv(tmp_path / "big.csv", rows=200_000)
    script = tmp_path / "run_import.py"
    script.write_text(KILL_SCRIPT)
    process = subprocess.Popen(
        [sys.executable, str(script), str(root), str(big)],
        stdout=subprocess.PIPE,
        text=True,
    )
    seen = 0
    for line in process.stdout:
        if line.startswith("events") and int(line.split()[1]) > 0:
            seen = int(line.split()[1])
            break

    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    assert 0 < seen < 200_000
    assert table_counts(root) == before
    with Workspace.open(root) as workspace:
        assert workspace.verify_audit_log() == []


def test_pages_cover_every_row_once(case, tmp_path):
    import_file(case, write_csv(tmp_path / "a.csv"))
    cursor = PageCursor(sort="user_name")
    seen: list[str] = []

    while not cursor.exhausted:
        seen += fetch_page(case.con, EventFilter(), cursor, limit=300)[
            "event_id"
        ].to_list()

    assert len(seen) == ROWS
    assert len(set(seen)) == ROWS


def test_filter_text_and_range(case, tmp_path):
    import_file(case, write_csv(tmp_path / "a.csv"))
    text_only = EventFilter(text="USER3")
    ranged = EventFilter(
        text="user3",
        start=datetime(2024, 3, 4, 0, 10),
        end=datetime(2024, 3, 4, 0, 20),
    )

    assert count_events(case.con, text_only) == len(
        [i for i in range(ROWS) if i % 7 == 3]
    )
    assert count_events(case.con, ranged) == len(
        [i for i in range(600, 1200) if i % 7 == 3]
    )
