"""A pipeline killed during `serve_check` takes its smoke server with it (mlbp.engine.children):
before, the server went on listening with nobody to stop it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CHAMPION_RUN


def _children(parent: int, marker: str) -> list[int]:
    """Live processes whose parent is `parent` and whose command line holds `marker`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:")), -1)
        state = next((line.split()[1] for line in status.splitlines() if line.startswith("State:")), "")
        if ppid == parent and marker in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                     if line.startswith("State:"))
    except (OSError, StopIteration):
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_killing_the_pipeline_during_serve_check_stops_its_server(champion_project, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(champion_project, project, ignore=shutil.ignore_patterns("outputs"))
    run = [a for a in CHAMPION_RUN if a != "pipeline.stages.serve_check=null"]  # the smoke server runs
    pipeline = subprocess.Popen([sys.executable, "-m", "mlbp.cli", *run], cwd=project,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not server:
            assert pipeline.poll() is None, "the pipeline ended before serve_check started its server"
            assert time.monotonic() < deadline, "no smoke server appeared"
            server = _children(pipeline.pid, "mlbp.deploy.rest.launch")
            time.sleep(0.05)
        os.kill(pipeline.pid, signal.SIGKILL)
        pipeline.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(server[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(server[0]), "the smoke server outlived the pipeline that started it"
    finally:
        if pipeline.poll() is None:
            pipeline.kill()
        for pid in server:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
