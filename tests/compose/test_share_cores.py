"""Parallel sweep jobs split the machine's cores between their native thread pools."""

from __future__ import annotations

import os

from mlbp.compose.cmd_run import _share_cores

VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def test_each_job_gets_its_share_and_a_user_value_wins(monkeypatch):
    for var in VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "7")
    _share_cores(2)
    share = str(max(1, (os.cpu_count() or 1) // 2))
    assert os.environ["OMP_NUM_THREADS"] == share and os.environ["OPENBLAS_NUM_THREADS"] == share
    assert os.environ["MKL_NUM_THREADS"] == "7"


def test_a_single_job_keeps_the_library_defaults(monkeypatch):
    for var in VARS:
        monkeypatch.delenv(var, raising=False)
    _share_cores(1)
    _share_cores(None)
    assert not any(var in os.environ for var in VARS)
