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
    """The folder of bundled sample logs shipped in the resources package."""
    return Path(str(resources.files("resources") / "samples"))


def default_demo_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "vigil" / "demo.vigil"


def build_demo_case(case_dir: Path | None = None) -> Path:
    """Create the demo case anew and import every bundled sample into it.

    An existing demo case at the same place is replaced; a folder that is
    not a case is never deleted.
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
    for result in results:
        if result.error:
            logger.warning("demo sample %s failed: %s", result.path, result.error)
    return case_dir
