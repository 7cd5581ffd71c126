"""Run the real pipeline inside a folder: the shared way tests make a project with a registered
champion, a lake and a catalog (mlbp keeps its state beside the working directory)."""

from __future__ import annotations

import os
from pathlib import Path

from mlbp.cli import main


def run_pipeline_in(folder: Path, args: list[str]) -> Path:
    old = os.getcwd()
    os.chdir(folder)
    try:
        assert main(args) == 0, f"mlbp {' '.join(args)} failed in {folder}"
    finally:
        os.chdir(old)
    return folder
