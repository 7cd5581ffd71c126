"""Hydra callbacks for mlbp sweeps.

`Leaderboard.on_multirun_end` runs once, after all jobs of a `-m` sweep have finished, in the
process that launched the sweep (the joblib, submitit and Ray launchers run `on_job_end` inside
the workers, and `on_multirun_end` receives no job return values). So it reads each job's
`result.json`, `run.json` and scorecard from the sweep folder and the artifact store, and writes
`leaderboard.csv`, `leaderboard.json` and `leaderboard.html` into the sweep folder.
`on_multirun_start` (before any job, in the launching process) writes `sweep.json` with the start
time, so every job judges candidates against the champion as it was when the sweep began.

YAML (conf/config.yaml)::

    hydra:
      callbacks:
        leaderboard:
          _target_: mlbp.compose.callbacks.Leaderboard
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger("mlbp.sweep")


class Leaderboard(Callback):
    def __init__(self, enabled: bool = True, objective: str | None = None) -> None:
        self.enabled = enabled
        self.objective = objective  # None: evaluation.objective from the sweep's config

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        import json
        import time

        sweep_dir = Path(str(config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        (sweep_dir / "sweep.json").write_text(json.dumps({"started": time.time()}))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if not self.enabled:
            return
        from rich.console import Console

        from mlbp.compose.say import say
        from mlbp.report.leaderboard import write_leaderboard

        sweep_dir = Path(str(config.hydra.sweep.dir))
        objective = self.objective or OmegaConf.select(config, "evaluation.objective", default="total") or "total"
        console = Console(stderr=True)
        if not sweep_dir.is_dir():
            say("[yellow]leaderboard[/]: no sweep folder at {}", sweep_dir, out=console)
            return
        board = write_leaderboard(sweep_dir, objective=str(objective))
        winner = board.get("winner")
        jobs = len(board["rows"])
        if winner:
            say("[bold green]blessed winner[/]: {} ({}) {}={} — of {} jobs", winner["stack"], winner["job"],
                objective, winner.get(objective), jobs, out=console)
        else:
            say("[bold red]no blessed winner[/] among {} jobs", jobs, out=console)
        say("leaderboard: {}", sweep_dir / "leaderboard.html", out=console)
