"""Fixtures for the window tests: real cases on disk, offscreen Qt.

Most tests use a case built from one CSV file. The risk view tests use a
synthetic organisation that went through import, directory import and
analysis (see risk_case.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from gui_helpers import WAIT_MS, wait_idle, write_events_csv

from workspace import Workspace
from workspace.importing import import_paths

# Qt reads this when the QApplication is created, which happens after this
# module is imported, so the window tests need no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def events_csv(tmp_path: Path) -> Path:
    return write_events_csv(tmp_path / "events.csv")


@pytest.fixture(scope="session")
def built_case_template(tmp_path_factory) -> Path:
    """A case holding the 2,500 events of one CSV, built once per session."""
    folder = tmp_path_factory.mktemp("template")
    events_csv = write_events_csv(folder / "events.csv")
    root = folder / "built.vigil"
    with Workspace.create(root) as workspace:
        results = import_paths(workspace, [events_csv])
    assert results[0].report is not None, results[0].error
    return root


@pytest.fixture
def built_case(tmp_path: Path, built_case_template: Path) -> Path:
    """A private copy of the template case, so a test may change it."""
    root = tmp_path / "built.vigil"
    shutil.copytree(built_case_template, root)
    return root


@pytest.fixture
def empty_case(tmp_path: Path) -> Path:
    root = tmp_path / "empty.vigil"
    Workspace.create(root).close()
    return root


@pytest.fixture
def open_window(qtbot):
    """Return a function that shows a main window on a case folder."""
    from app.gui.main import MainWindow

    def open_case(root: Path) -> MainWindow:
        window = MainWindow()
        qtbot.addWidget(window)
        window.resize(1400, 900)
        window.show()
        with qtbot.waitSignal(window.sig_case_opened, timeout=WAIT_MS):
            window.open_case(root)
        wait_idle(qtbot, window)
        return window

    return open_case


@pytest.fixture
def window(open_window, built_case):
    return open_window(built_case)


@pytest.fixture(scope="session")
def risk_case_template(tmp_path_factory) -> Path:
    """A synthetic organisation imported, directory-loaded and analysed once."""
    from risk_case import build_risk_case

    return build_risk_case(tmp_path_factory.mktemp("risk"))


@pytest.fixture
def risk_window(open_window, tmp_path: Path, risk_case_template: Path):
    """A window on a private copy of the analysed case, with the Risk tab shown."""
    root = tmp_path / "risk.vigil"
    shutil.copytree(risk_case_template, root)
    window = open_window(root)
    window.show_risk_view()
    return window
