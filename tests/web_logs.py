"""Helpers for the web and proxy log importer tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from importers import registry
from importers.base import ImportOptions, ImportReport, SourceFile

WEB_DATA = Path(__file__).parent / "data" / "web"


@dataclass
class Parsed:
    """Everything one importer run yielded for a file."""

    events: pl.DataFrame
    quarantine: pl.DataFrame
    report: ImportReport

    def event(self, line_no: int) -> dict:
        """Return the event read from `line_no` as a dict of columns."""
        rows = self.events.filter(pl.col("record_ref") == str(line_no))
        assert rows.height == 1, f"expected one event from line {line_no}"
        return rows.row(0, named=True)

    def quarantined_lines(self) -> list[int]:
        return sorted(int(ref) for ref in self.quarantine.get_column("record_ref"))

    def error(self, line_no: int) -> str:
        rows = self.quarantine.filter(pl.col("record_ref") == str(line_no))
        assert rows.height == 1, f"expected line {line_no} in quarantine"
        return rows.get_column("error")[0]


def parse_file(format_name: str, path: Path, **options) -> Parsed:
    """Run one importer over `path` outside a case."""
    report = ImportReport(path=str(path), format=format_name)
    importer = registry.get(format_name)
    batches = list(importer.parse(SourceFile(path), ImportOptions(**options), report))
    events = pl.concat([batch.events for batch in batches])
    quarantine = pl.concat([batch.quarantine for batch in batches])
    return Parsed(events, quarantine, report)


def read_lines(path: Path) -> list[bytes]:
    """Split a file on LF only, keeping a last line that has no LF."""
    with path.open("rb") as handle:
        return list(handle)
