"""`deploy.batch` is passed whole: `mlbp score` and the pipeline's batch stage get every key, each
key changes what is done, and a misspelt or moved key fails naming what was meant."""

from __future__ import annotations

import json
import math
import shutil

import pandas as pd
import pytest

from mlbp.cli import main
from mlbp.deploy.batch.options import BatchOptions
from tests.pipeline_runs import run_pipeline_in


@pytest.fixture
def scoring_input(example, frame, tmp_path):
    """300 valid rows and one with a region the model never saw (frame's row 3: 'atlantis')."""
    src = tmp_path / "in.csv"
    df = frame.head(301).copy()
    df.loc[df.index[5], "visits_90d"] = 3  # keep only the unseen category as a reason to refuse
    df.loc[df.index[7], "distance_km"] = 1.0
    df.to_csv(src, index=False)
    return src, len(df)


def _score(example, monkeypatch, src, out, *overrides):
    monkeypatch.chdir(example["root"])
    assert main(["score", str(src), f"deploy.score.output={out}", *overrides]) == 0
    return json.loads((out / "batch.json").read_text())


def test_every_batch_key_reaches_the_scoring(example, scoring_input, tmp_path, monkeypatch):
    src, n = scoring_input
    default = _score(example, monkeypatch, src, tmp_path / "default", "deploy.batch.id_column=null")
    changed = _score(example, monkeypatch, src, tmp_path / "changed", "deploy.batch.n_jobs=2",
                     "deploy.batch.backend=loky", "deploy.batch.trees=booster", "deploy.batch.chunk_rows=50",
                     "deploy.batch.id_column=offer_id", "deploy.batch.unknown_category=score")
    # chunk_rows: how the input is cut; n_jobs: workers (bounded by chunks, so one for 301 rows)
    assert default["chunks"] == 1 and changed["chunks"] == math.ceil(n / 50)
    assert default["n_jobs"] == 1 and changed["n_jobs"] == 2
    # backend: auto shares one model between threads when the fast path compiles; loky was asked
    assert default["backend"] == "threading" and changed["backend"] == "loky"
    # trees: auto on a small input uses a forest already compiled, or the booster; booster was asked
    assert default["trees"] == "cached" and changed["trees"] == "booster"
    # unknown_category: reject quarantines the unseen region, score scores it as unseen
    assert default["rows_quarantined"] == 1 and changed["rows_quarantined"] == 0
    assert default["rows_in"] == changed["rows_in"] == n
    # id_column: the row key is the id, else the row's position
    assert "row" in pd.read_parquet(tmp_path / "default" / "scores").columns
    assert "offer_id" in pd.read_parquet(tmp_path / "changed" / "scores").columns
    # the same section, as the model sees it: one field per key, nothing else
    assert set(BatchOptions.model_fields) == {"engine", "n_jobs", "backend", "trees", "scheduler", "chunk_rows",
                                              "id_column", "unknown_category"}


def test_the_dask_engine_uses_the_named_scheduler(example, scoring_input, tmp_path, monkeypatch):
    from distributed import LocalCluster

    src, n = scoring_input
    with LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        summary = _score(example, monkeypatch, src, tmp_path / "dask", "deploy.batch.engine=dask",
                         f"deploy.batch.scheduler={cluster.scheduler_address}", "deploy.batch.chunk_rows=100")
        ran = set(cluster.scheduler.task_prefixes)
    assert summary["engine"] == "dask" and summary["scheduler"] == cluster.scheduler_address
    assert "score_chunk" in ran and summary["rows_in"] == n and summary["chunks"] == math.ceil(n / 100)


@pytest.mark.parametrize(("override", "says"), [
    ("+deploy.batch.n_job=1", "unknown key 'n_job'; did you mean 'n_jobs'?"),
    ("+deploy.batch.chunk_row=10", "did you mean 'chunk_rows'?"),
    ("+deploy.batch.output=/tmp/x", "'output' moved to deploy.score.output"),
    ("deploy.batch.engine=spark", "deploy.batch.engine: Input should be 'local' or 'dask'"),
    ("deploy.batch.n_jobs=0", "deploy.batch.n_jobs: Input should be greater than or equal to 1"),
    ("+deploy.score.alais=3", "did you mean 'alias'?"),
])
def test_a_wrong_batch_key_fails_mlbp_score_naming_it(example, scoring_input, tmp_path, monkeypatch, capsys,
                                                       override, says):
    src, _ = scoring_input
    monkeypatch.chdir(example["root"])
    assert main(["score", str(src), f"deploy.score.output={tmp_path / 'out'}", override]) != 0
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_the_pipeline_scores_the_holdout_with_the_whole_section(example, tmp_path, capsys):
    project = tmp_path / "project"
    shutil.copytree(example["root"], project, ignore=shutil.ignore_patterns("outputs"))
    from tests.conftest import CHAMPION_RUN

    run_pipeline_in(project, [*CHAMPION_RUN, "deploy.batch.chunk_rows=97", "deploy.batch.unknown_category=score",
                              "deploy.batch.id_column=null"])
    manifest = json.loads(sorted(project.glob("outputs/*/*/run.json"))[-1].read_text())
    scores = project / ".mlbp" / "store" / "objects" / manifest["artifacts"]["scores"]
    written = json.loads((scores / "batch.json").read_text())
    assert written["chunk_rows"] == 97 and written["chunks"] == math.ceil(written["rows_in"] / 97)
    assert written["unknown_category"] == "score" and written["id_column"] is None
    assert manifest["stages"]["batch"]["config"]["options"]["chunk_rows"] == 97

    # a misspelt key fails the run before any stage runs, naming the key
    with pytest.raises(AssertionError):
        run_pipeline_in(project, [*CHAMPION_RUN, "+deploy.batch.chunk_row=10"])
    assert "did you mean 'chunk_rows'?" in capsys.readouterr().err
