"""Fixtures for monitor tests: a real bundle made by the pipeline (registered as champion)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def project(champion_project) -> Path:
    """The shared project folder whose .mlbp registry has `restaurant-offers` v1 as champion."""
    assert (champion_project / ".mlbp" / "registry" / "restaurant-offers" / "v1" / "profile.json").exists()
    return champion_project
