"""No clock in cached artifacts: the same inputs give the same artifact hashes, run after run.

The bundle's manifest carried the run's start time and the batch stage stamped every score with
it (and wrote its timings into batch.json), so two runs over identical data and config made
different bundle and score hashes, and nothing downstream could tell they were the same."""

from __future__ import annotations

import json

import pytest

from mlbp.cli import main
from tests.conftest import CHAMPION_RUN


@pytest.mark.slow
def test_two_runs_from_empty_stores_make_the_same_model_bundle_and_scores(project_dir):
    hashes = []
    for store in ("store-a", "store-b"):
        assert main([*CHAMPION_RUN, f"paths.store={project_dir / store}",
                     f"hydra.run.dir={project_dir / 'outputs' / store}"]) == 0
        run = json.loads((project_dir / "outputs" / store / "run.json").read_text())
        assert not any(s.get("cache_hit") for s in run["stages"].values())
        hashes.append(run["artifacts"])
    first, second = hashes
    for artifact in ("raw", "clean", "train", "holdout", "model", "bundle", "scores"):
        assert first[artifact] == second[artifact], artifact
