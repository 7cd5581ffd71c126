"""Run a task function as a Hydra app with the packaged configs.

Every mlbp command goes through here so that overrides, `-m` sweeps, `--cfg job` and `--help`
behave the same everywhere. Errors are printed as one clear message (the traceback only with
`hydra.verbose=true` or MLBP_TRACEBACK=1) and turned into the process exit code.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable

import hydra
from omegaconf import DictConfig

from mlbp.compose import redaction, resolvers
from mlbp.compose.overlay_guard import check_overlay
from mlbp.engine.errors import MlbpError

Task = Callable[[DictConfig, list[str]], int | None]
CONFIG_PACKAGE = "pkg://mlbp.conf"
# The bundled example's overlay (examples/restaurant_offers/conf): added when no project is given,
# so `mlbp` in an empty folder runs the example while a project's --config-dir sees none of it.
EXAMPLE_OVERLAY = "pkg://mlbp.examples.restaurant_offers.conf"
_CONFIG_DIR_FLAGS = ("--config-dir", "-cd")
# Hydra flags whose next argument is their value (`--config-dir conf`, `--cfg job`), not an override
FLAG_VALUES = {"--config-dir", "-cd", "--config-name", "-cn", "--config-path", "-cp", "--cfg", "-c",
               "--package", "-p", "--info", "-i", "--experimental-rerun"}


def with_default_project(argv: list[str]) -> list[str]:
    """`argv`, plus the example's overlay on the search path when it names no --config-dir (and
    sets no hydra.searchpath of its own)."""
    if any(a in _CONFIG_DIR_FLAGS or a.startswith(("--config-dir=", "-cd=")) for a in argv):
        return argv
    if any(a.lstrip("+~").startswith("hydra.searchpath") for a in argv):
        return argv
    # beside the other overrides: Hydra's parser takes them as one run of positionals
    at = next((i for i, a in enumerate(argv) if not a.startswith("-") and (i == 0 or argv[i - 1] not in FLAG_VALUES)),
              len(argv))
    return [*argv[:at], f"hydra.searchpath=[{EXAMPLE_OVERLAY}]", *argv[at:]]


# groups the packaged defaults leave to the project (`???` in conf/config.yaml)
PROJECT_GROUPS = ("data", "contract")


def config_dir_of(argv: list[str]) -> str | None:
    """The --config-dir (or -cd) argv names, if any."""
    config_dir = None
    for i, a in enumerate(argv):
        if a in _CONFIG_DIR_FLAGS and i + 1 < len(argv):
            config_dir = argv[i + 1]
        elif a.startswith(("--config-dir=", "-cd=")):
            config_dir = a.split("=", 1)[1]
    return config_dir


def check_project(argv: list[str]) -> None:
    """A --config-dir that is no project (no local/project.yaml) and names no source or contract on
    the command line is refused here in one line, before Hydra's "You must specify" with no options."""
    from pathlib import Path

    config_dir = config_dir_of(argv)
    resolvers.set_project_dir(config_dir)
    if config_dir is None or (Path(config_dir) / "local" / "project.yaml").is_file():
        return
    missing = [g for g in PROJECT_GROUPS if not any(a.lstrip("+~").startswith(f"{g}=") for a in argv)]
    if missing:
        raise MlbpError(f"{config_dir} is not an mlbp project: it has no local/project.yaml choosing "
                        f"{' and '.join(missing)}", key="--config-dir",
                        fix="make one with `mlbp init FOLDER FILE target=COLUMN`, or name them: "
                            + " ".join(f"{g}=<option>" for g in missing))


def compose_config(overrides: list[str] | None = None, config_dir: str | None = None,
                   return_hydra_config: bool = False) -> DictConfig:
    """The run config exactly as `mlbp [--config-dir DIR] OVERRIDES` composes it, for notebooks and
    tests: the packaged configs, plus the project's overlay (or, with none, the example's)."""
    from pathlib import Path

    from hydra import compose, initialize_config_module

    overlay = f"file://{Path(config_dir).resolve()}" if config_dir else EXAMPLE_OVERLAY
    resolvers.set_project_dir(config_dir)
    with initialize_config_module(config_module=CONFIG_PACKAGE.removeprefix("pkg://"), version_base="1.3"):
        return compose("config", overrides=[f"hydra.searchpath=[{overlay}]", *(overrides or [])],
                       return_hydra_config=return_hydra_config)


_exit_code = 0


def _output_dir() -> str | None:
    from hydra.core.hydra_config import HydraConfig

    try:
        return str(HydraConfig.get().runtime.output_dir)
    except ValueError:
        return None


def _show_error(exc: BaseException) -> None:
    from rich.console import Console

    from mlbp.compose.say import say_error

    console = Console(stderr=True)
    if os.environ.get("MLBP_TRACEBACK") or logging.getLogger().isEnabledFor(logging.DEBUG):
        console.print(traceback.format_exc(), markup=False, highlight=False)
    say_error(exc, out=console)  # the message verbatim: brackets in it are text, never markup


def _job_return(cfg: DictConfig, code: int) -> float | int | None:
    """A sweeper that optimizes (Optuna) reads the job's return value: give it the objective the run
    wrote into result.json (None for a failed job, which the Optuna sweeper records as a failed trial;
    see hydra.sweeper.max_failure_rate)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    try:
        hc = HydraConfig.get()
    except ValueError:
        return code
    if hc.mode != RunMode.MULTIRUN or "optuna" not in str(hc.sweeper.get("_target_", "")):
        return code
    import json
    from pathlib import Path

    result = Path(hc.runtime.output_dir) / "result.json"
    value = json.loads(result.read_text()).get("objective") if result.exists() else None
    return None if code or value is None else float(value)


def launch(task: Task, argv: list[str], positionals: list[str], prog: str = "mlbp") -> int:
    """Run `task(cfg, positionals)` under hydra.main with `argv` as Hydra's command line."""
    global _exit_code
    _exit_code = 0

    def _main(cfg: DictConfig) -> int:
        global _exit_code
        try:
            redaction.protect(cfg, _output_dir())  # before the task writes or logs anything
            code = task(cfg, positionals) or 0
        except MlbpError as exc:
            _show_error(exc)
            code = 1
        except KeyboardInterrupt:
            code = 130
        _exit_code = max(_exit_code, code)
        return _job_return(cfg, code)

    try:
        check_project(argv)
        check_overlay(config_dir_of(argv), argv)  # what Hydra builds itself, before it runs
    except MlbpError as exc:
        _show_error(exc)
        return 1
    old_argv = sys.argv
    sys.argv = [prog, *with_default_project(argv)]
    try:  # the packaged generic configs (conf/ in the source tree), wherever mlbp is installed
        hydra.main(config_path=CONFIG_PACKAGE, config_name="config", version_base="1.3")(_main)()
    except MlbpError as exc:  # raised while composing (e.g. by a resolver)
        _show_error(exc)
        return 1
    finally:
        sys.argv = old_argv
    return _exit_code
