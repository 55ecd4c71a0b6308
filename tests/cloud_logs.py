"""Helpers for the cloud and SaaS audit log importer tests."""

from __future__ import annotations

import gzip
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from importers.base import ImportOptions, ImportReport
from workspace.importing import import_file

CLOUD_DATA = Path(__file__).parent / "data" / "cloud"


@dataclass
class Imported:
    """What one import wrote to a fresh case."""

    report: ImportReport
    events: pl.DataFrame
    quarantine: pl.DataFrame

    def event(self, ref: str) -> dict:
        """Return the event with record_ref `ref` as a dict of columns."""
        rows = self.events.filter(pl.col("record_ref") == ref)
        assert rows.height == 1, f"expected one event with record_ref {ref!r}"
        return rows.row(0, named=True)

    def error(self, ref: str) -> str:
        rows = self.quarantine.filter(pl.col("record_ref") == ref)
        assert rows.height == 1, f"expected record {ref!r} in quarantine"
        return rows.get_column("error")[0]

    def column(self, name: str) -> dict[str, object]:
        """Map record_ref to the value of column `name`."""
        return dict(self.events.select("record_ref", name).iter_rows())


def import_into(case, path: Path, **options) -> Imported:
    """Import `path` into the empty case `case` and read back what it holds."""
    report = import_file(case, path, ImportOptions(**options))
    events = case.con.execute("SELECT * FROM events ORDER BY record_ref").pl()
    quarantine = case.con.execute(
        "SELECT record_ref, raw, error FROM quarantine ORDER BY record_ref"
    ).pl()
    return Imported(report, events, quarantine)


def gzipped(path: Path, folder: Path) -> Path:
    """Write a gzip copy of `path` into `folder` and return its path."""
    target = folder / (path.name + ".gz")
    with path.open("rb") as source, gzip.open(target, "wb") as sink:
        shutil.copyfileobj(source, sink)
    return target
