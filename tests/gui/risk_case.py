"""A small analysed case for the risk view tests, built through the real code.

The synthetic organisation is generated with a fixed seed, its log files go
through the real importers, its directory through the directory import, and
the analysis stores its tables as `vigil analyze` does.
"""

from __future__ import annotations

from pathlib import Path

from analytics.synthetic import LOG_FOLDER, generate
from importers.base import ImportOptions
from workspace import Workspace
from workspace.analysis import run_analysis
from workspace.directory import import_directory
from workspace.importing import import_paths

USERS = 40
DAYS = 30
SEED = 5
INSIDER_RATE = 0.1


def log_year(path: Path) -> int | None:
    """Return the year of an auth-YYYY.log file, whose lines carry no year."""
    if path.name.startswith("auth-") and path.stem[5:].isdigit():
        return int(path.stem[5:])
    return None


def build_risk_case(folder: Path) -> Path:
    """Generate, import and analyse the organisation; return the case folder."""
    org = folder / "org"
    generate(org, users=USERS, days=DAYS, seed=SEED, insider_rate=INSIDER_RATE)
    root = folder / "risk.vigil"
    with Workspace.create(root) as workspace:
        for path in sorted(p for p in (org / LOG_FOLDER).rglob("*") if p.is_file()):
            options = ImportOptions(year=log_year(path))
            (result,) = import_paths(workspace, [path], options)
            assert result.report is not None, f"{path.name}: {result.error}"
        import_directory(workspace, org / "directory.csv")
        run_analysis(workspace)
    return root
