"""Shared fixtures: every test runs in its own folder so state (.mlbp, outputs) never leaks."""

from __future__ import annotations

import os
import tempfile

import pytest


def pytest_configure(config):
    """Compiled LightGBM forests go to a throw-away cache, not the user's ~/.cache (set before any
    worker process starts, so joblib and Dask workers inherit it)."""
    os.environ.setdefault("MLBP_TREES_CACHE", tempfile.mkdtemp(prefix="mlbp-trees-"))


@pytest.fixture
def project_dir(tmp_path, monkeypatch):
    """A fresh project folder as the working directory (mlbp keeps its state beside it)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
