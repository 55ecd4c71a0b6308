"""The demo case: the bundled public sample logs imported into a fresh case."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

from importers.base import ImportOptions
from workspace import Workspace
from workspace.case import DB_NAME
from workspace.importing import import_paths

logger = logging.getLogger(__name__)


def samples_dir() -> Path:
    """Return the folder of bundled sample logs in the resources package."""
    return Path(str(resources.files("resources") / "samples"))


def default_demo_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "vigil" / "demo.vigil"


# A small synthetic organisation with insider scenarios, generated into the
# demo case so that the risk view has people to rank.
DEMO_ORG = {"users": 80, "days": 60, "seed": 7, "insider_rate": 0.05}


def build_demo_case(case_dir: Path | None = None, analyse: bool = True) -> Path:
    """Create the demo case anew from the bundled samples and a synthetic org.

    The bundled public samples are imported first. Then a seeded synthetic
    organisation is written under the case's ``synthetic`` folder, its logs
    and directory imported, and the case analysed. An existing demo case at
    the same place is replaced; a folder that is not a case is never deleted.
    """
    case_dir = Path(case_dir) if case_dir else default_demo_dir()
    if case_dir.exists():
        if not (case_dir / DB_NAME).is_file():
            raise FileExistsError(
                f"{case_dir} exists and is not a Vigil case; choose another --case"
            )
        shutil.rmtree(case_dir)
    files = sorted(
        p for p in samples_dir().rglob("*") if p.is_file() and p.suffix != ".md"
    )
    with Workspace.create(case_dir, name="Vigil demo") as workspace:
        results = import_paths(workspace, files, ImportOptions(year=2024))
        if analyse:
            results += add_synthetic_org(workspace, case_dir / "synthetic")
    for result in results:
        if result.error:
            logger.warning("demo sample %s failed: %s", result.path, result.error)
    return case_dir


def add_synthetic_org(workspace: Workspace, folder: Path) -> list:
    """Generate the demo organisation, import it with its directory, analyse."""
    from analytics.synthetic import generate
    from app.evaluation_run import import_logs
    from workspace.analysis import run_analysis
    from workspace.directory import import_directory

    generate(
        folder,
        DEMO_ORG["users"],
        DEMO_ORG["days"],
        DEMO_ORG["seed"],
        DEMO_ORG["insider_rate"],
    )
    results = import_logs(workspace, folder / "logs")
    import_directory(workspace, folder / "directory.csv")
    run_analysis(workspace)
    return results
