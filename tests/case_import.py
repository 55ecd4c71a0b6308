"""Import one file into a real case and read back what the case stored."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from importers.base import ImportOptions, ImportReport
from workspace import Workspace
from workspace.importing import import_file


@dataclass
class Imported:
    """The events, quarantine rows and report of one file imported into a case."""

    events: pl.DataFrame
    quarantine: pl.DataFrame
    report: ImportReport

    def event(self, line_no: int) -> dict:
        rows = self.events.filter(pl.col("record_ref") == str(line_no))
        assert rows.height == 1, f"expected one event from line {line_no}"
        return rows.row(0, named=True)

    def error(self, line_no: int) -> str:
        rows = self.quarantine.filter(pl.col("record_ref") == str(line_no))
        assert rows.height == 1, f"expected line {line_no} in quarantine"
        return rows.get_column("error")[0]

    def quarantined_lines(self) -> list[int]:
        return sorted(int(ref) for ref in self.quarantine.get_column("record_ref"))


def import_into(workspace: Workspace, path: Path, **options) -> Imported:
    """Import `path` into `workspace` and read back what the case stored."""
    report = import_file(workspace, path, ImportOptions(**options))
    source_id = workspace.con.execute("SELECT max(source_id) FROM sources").fetchone()[
        0
    ]
    events = workspace.con.execute(
        "SELECT * FROM events WHERE source_id = ? ORDER BY timestamp, record_ref",
        [source_id],
    ).pl()
    quarantine = workspace.con.execute(
        "SELECT * FROM quarantine WHERE source_id = ? ORDER BY record_ref",
        [source_id],
    ).pl()
    return Imported(events, quarantine, report)
