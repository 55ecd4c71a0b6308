"""Shared fixtures: sample corpus location, fresh cases, test data paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TEST_DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return TEST_DATA


@pytest.fixture
def samples_dir() -> Path:
    """The real log corpus named by VIGIL_SAMPLES; skips the test without it."""
    value = os.environ.get("VIGIL_SAMPLES")
    if not value:
        pytest.skip("VIGIL_SAMPLES is not set: the sample corpus tier is off")
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"VIGIL_SAMPLES={value} is not a folder")
    return path


@pytest.fixture
def case(tmp_path: Path):
    """A new, empty case on disk, closed after the test."""
    from workspace import Workspace

    workspace = Workspace.create(tmp_path / "test.vigil")
    yield workspace
    workspace.close()
