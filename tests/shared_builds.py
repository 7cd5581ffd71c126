"""Expensive fixtures built once per test run and shared by every pytest-xdist worker.

The first worker to ask builds the folder while holding a file lock; the others wait on the lock
and then read what it built. A build that died half way (a killed worker) leaves no `.built` mark,
so the next worker starts it again from an empty folder. Tests that receive such a folder only
read it (or write under their own `tmp_path`); one that must change it takes a private copy."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

DONE = ".built"


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every worker of this run sees: xdist gives each worker its own temp root
    (`.../pytest-N/popen-gw0`), and those roots share a parent."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared"


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """The folder `name`, built by `build(folder)` exactly once for the whole run."""
    root = shared_root(tmp_path_factory)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / name
    with FileLock(str(root / f"{name}.lock")):
        if not (folder / DONE).exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / DONE).touch()
    return folder
