"""Real sweeps end to end (slow): the leaderboard names a blessed winner and data stages run once.

Each sweep runs as its own `mlbp` process, as users run it: joblib keeps its worker processes
alive between sweeps in one interpreter, and those workers would still sit in the previous test's
folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def main(args: list[str]) -> int:
    mlbp = Path(sys.executable).with_name("mlbp")
    return subprocess.run([str(mlbp), *args], capture_output=True, text=True).returncode

SMALL = ["experiment=quick", "data.source.n_rows=4000", "evaluation.scorecard.cv.folds=2",
         "evaluation.scorecard.cv.seeds=[1]",
         "evaluation.thresholds.latency_p99_ms.max=10000"]  # blessing must not hinge on a busy test machine


def _sweep_dir(project_dir):
    return sorted(project_dir.glob("outputs/multirun/*/*"))[-1]


@pytest.mark.slow
def test_parallel_sweep_shares_data_stages_and_writes_the_leaderboard(project_dir):
    assert main(["-m", "stack=logistic,lightgbm,xgboost,hist_gbm", *SMALL]) == 0
    sweep = _sweep_dir(project_dir)
    runs = [json.loads(p.read_text()) for p in sweep.glob("*/run.json")]
    assert len(runs) == 4 and all(r["status"] == "done" for r in runs)
    for stage in ("ingest", "validate"):
        computed = [r for r in runs if not r["stages"][stage]["cache_hit"]]
        assert len(computed) == 1, f"{stage} ran in {len(computed)} jobs"
    # every job trained its own stack on the same split
    assert len({r["stages"]["split"]["outputs"]["holdout"] for r in runs}) == 1
    board = json.loads((sweep / "leaderboard.json").read_text())
    assert {r["stack"] for r in board["rows"]} == {"logistic", "lightgbm", "xgboost", "hist_gbm"}
    assert board["winner"] and board["winner"]["stack"] in {"logistic", "lightgbm", "xgboost", "hist_gbm"}
    assert (sweep / "leaderboard.csv").exists() and (sweep / "leaderboard.html").exists()
    # no champion existed when the sweep began: the first job to be promoted is no reference for its siblings
    assert not [rule for r in board["rows"] for rule in r["failed_rules"] if "champion" in rule]
    assert all((sweep / r["job"] / "candidate.html").exists() for r in board["rows"])


@pytest.mark.slow
def test_optuna_search_inside_a_stack(project_dir):
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")
    # trials one after another: the parallel sweep test covers jobs side by side, and two parallel
    # Optuna trials lost one trial's result in 2 of 5 CI runs (never locally; cause not found yet)
    assert main(["-m", "experiment=hparams_search", "hydra.sweeper.n_trials=2", "hydra.sweeper.n_jobs=1", *SMALL[1:],
                 "data.assess.thresholds.min_rows_per_day=10", "data.assess.thresholds.min_rows=1000",
                 "data.assess.thresholds.min_minority_count=100", "data.assess.thresholds.min_rows_per_feature=20"
                 ]) == 0
    sweep = _sweep_dir(project_dir)
    assert "best_value" in (sweep / "optimization_results.yaml").read_text()
    board = json.loads((sweep / "leaderboard.json").read_text())
    missing = [(r["job"], r.get("status"), r.get("failed_rules")) for r in board["rows"] if r["objective"] is None]
    assert len(board["rows"]) == 2 and not missing, missing
