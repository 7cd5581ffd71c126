"""The suite itself: every test has a time limit, so a test waiting on a server that never started
fails with the stack of the waiting thread instead of hanging the run (and CI) forever."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

HANGING_TEST = '''
import threading

def wait_for_the_server_that_never_starts(started):
    started.wait()  # nobody ever sets it

def test_waits_forever():
    started = threading.Event()
    wait_for_the_server_that_never_starts(started)
'''


def test_every_test_has_a_time_limit(pytestconfig):
    limit = pytestconfig.getini("timeout")
    assert limit not in (None, ""), "pyproject.toml [tool.pytest.ini_options] sets no per-test timeout"
    assert 0 < float(limit) <= 300


def test_a_hanging_test_fails_with_the_stack_it_waits_in(tmp_path):
    (tmp_path / "test_hang.py").write_text(HANGING_TEST)
    # the project's own pytest configuration, with the limit shortened so this test is quick
    # (only the timeout plugin is loaded: the others, schemathesis and hypothesis, take seconds to import)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-c", str(PYPROJECT), "--rootdir", str(tmp_path),
                           "-p", "timeout", "-p", "no:cacheprovider", "-o", "timeout=1",
                           str(tmp_path / "test_hang.py")],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-3000:]
    assert "Timeout" in out and "1 failed" in out
    assert "wait_for_the_server_that_never_starts" in out  # the waiting frame is shown
