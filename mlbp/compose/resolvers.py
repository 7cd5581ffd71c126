"""OmegaConf resolvers mlbp's configs may use.

    ${project_file:data/orders.csv}   a file inside the project folder (the parent of the
                                      --config-dir), wherever the folder is: what `mlbp init`
                                      writes for data kept inside the project, so a project (and
                                      the examples in this repository) travels with its data.

The project folder is passed in MLBP_PROJECT_DIR, set by the launcher, so sweep jobs in worker
processes resolve it alike; without it (no --config-dir), the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from omegaconf import OmegaConf

PROJECT_DIR_ENV = "MLBP_PROJECT_DIR"


def project_file(relative: str) -> str:
    base = Path(os.environ.get(PROJECT_DIR_ENV) or ".")
    return str((base / str(relative)).resolve())


def set_project_dir(config_dir: str | None) -> None:
    """The project folder of a --config-dir (its parent), for ${project_file:...}."""
    if config_dir:
        os.environ[PROJECT_DIR_ENV] = str(Path(config_dir).resolve().parent)
    else:
        os.environ.pop(PROJECT_DIR_ENV, None)


def register() -> None:
    if not OmegaConf.has_resolver("project_file"):
        OmegaConf.register_new_resolver("project_file", project_file)


register()
