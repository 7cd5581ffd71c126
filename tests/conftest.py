"""Shared fixtures: every test runs in its own folder so state (.mlbp, outputs) never leaks."""

from __future__ import annotations

import pytest


@pytest.fixture
def project_dir(tmp_path, monkeypatch):
    """A fresh project folder as the working directory (mlbp keeps its state beside it)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
