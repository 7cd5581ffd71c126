"""Fixtures for monitor tests: a real bundle made by the pipeline (registered as champion)."""

from __future__ import annotations

from pathlib import Path

import pytest
from monitor_fixtures import SMALL

from tests.pipeline_runs import run_pipeline_in


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    """A project folder whose .mlbp registry has `restaurant-offers` v1 as champion."""
    root = run_pipeline_in(tmp_path_factory.mktemp("monitor_project"), SMALL)
    assert (root / ".mlbp" / "registry" / "restaurant-offers" / "v1" / "profile.json").exists()
    return root


