"""Shared fixtures: every test runs in its own folder so state (.mlbp, outputs) never leaks.

`make test` runs this suite on every core with pytest-xdist; each worker is one process with one
native thread per pool, so two workers do not fight over two cores (timing-sensitive asserts would
turn flaky)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.pipeline_runs import run_pipeline_in
from tests.shared_builds import build_once

# the native thread pools a worker process may start: OpenMP (LightGBM, XGBoost), BLAS, numexpr
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS")
SLOW_TIMEOUT_S = 600  # a slow test (a real sweep, a fuzzing run) that sets no limit of its own

# The one pipeline run most tests read: the example's default graph on 6,000 rows, without the
# HTTP smoke check and the report (tests/deploy exercises those). v1 must become champion, and
# single-row latency on a busy test machine is noise, not a property of the model, so that blessing
# rule is left out (tests/stacks covers blessing).
CHAMPION_RUN = ["experiment=quick", "data.source.n_rows=6000", "pipeline.stages.serve_check=null",
                "pipeline.stages.report=null", "~evaluation.thresholds.latency_p99_ms"]


def pytest_configure(config):
    """Before any test module imports a native library: compiled LightGBM forests go to a
    throw-away cache (inherited by joblib and Dask workers), and an xdist worker keeps its native
    pools to one thread (a user's own setting wins)."""
    os.environ.setdefault("MLBP_TREES_CACHE", tempfile.mkdtemp(prefix="mlbp-trees-"))
    if os.environ.get("PYTEST_XDIST_WORKER"):
        for var in THREAD_VARS:
            os.environ.setdefault(var, "1")


def pytest_collection_modifyitems(config, items):
    """Slow tests get a longer default limit than the suite's `timeout` (their own mark wins)."""
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))


@pytest.fixture
def project_dir(tmp_path, monkeypatch):
    """A fresh project folder as the working directory (mlbp keeps its state beside it)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def champion_project(tmp_path_factory) -> Path:
    """A project folder where the default pipeline ran once for the whole test run (every xdist
    worker shares it): registry `restaurant-offers` v1 as champion, its bundle, lake and catalog.
    Read it; a test that must change it copies it first."""
    return build_once(tmp_path_factory, "champion", lambda folder: run_pipeline_in(folder, CHAMPION_RUN))
