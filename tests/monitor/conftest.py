"""Fixtures for monitor tests: a real bundle made by the pipeline (registered as champion)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from monitor_fixtures import SMALL

from mlbp.cli import main


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    """A project folder whose .mlbp registry has `restaurant-offers` v1 as champion."""
    root = tmp_path_factory.mktemp("monitor_project")
    old = os.getcwd()
    os.chdir(root)
    try:
        assert main(SMALL) == 0
    finally:
        os.chdir(old)
    assert (root / ".mlbp" / "registry" / "restaurant-offers" / "v1" / "profile.json").exists()
    return root


