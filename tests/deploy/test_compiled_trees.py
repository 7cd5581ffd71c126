"""Compiled LightGBM trees (lleaves) in the batch scorer: the same answers as the booster on every
task, cached object code, `trees=auto` by input size, and a fall-back to the booster when the
compiled forest does not reproduce the golden examples."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlbp.deploy.batch import score as batch
from mlbp.deploy.batch.score import score_dataset
from mlbp.deploy.runtime import compiled_trees
from mlbp.deploy.runtime.compiled import _raw_predictor
from mlbp.deploy.runtime.serving import load_serving
from mlbp.engine.errors import MlbpError

WHEN = "2026-01-01T00:00:00Z"
pytestmark = pytest.mark.skipif(not compiled_trees.available(), reason="the trees extra is not installed")


def _scores(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "scores").sort_values("offer_id").reset_index(drop=True)


def test_compiled_trees_score_like_the_booster(example, frame, tmp_path):
    src = tmp_path / "in.parquet"
    frame.to_parquet(src)
    got = {}
    for trees, backend in (("booster", "threading"), ("compiled", "threading"), ("compiled", "loky")):
        out = tmp_path / f"{trees}-{backend}"
        got[(trees, backend)] = s = score_dataset(example["bundle"], src, out, n_jobs=2, chunk_rows=700,
                                                  id_column="offer_id", scored_at=WHEN, trees=trees, backend=backend)
        assert s["reconciled"] and s["rows_quarantined"] == 3 and s["trees"] == trees
    assert got[("compiled", "threading")]["predictor"] == "lightgbm-compiled-trees"
    assert got[("booster", "threading")]["predictor"] == "lightgbm-booster"
    base = _scores(tmp_path / "booster-threading")
    for name in ("compiled-threading", "compiled-loky"):
        other = _scores(tmp_path / name)
        assert other["offer_id"].tolist() == base["offer_id"].tolist()
        assert (other["prediction"] == base["prediction"]).all()
        assert np.abs(other["probability"] - base["probability"]).max() <= 1e-12
    # the object code is cached, keyed by the model: one .o for this model, reused by the loky workers
    objects = list(Path(os.environ["MLBP_TREES_CACHE"]).glob("*.o"))
    assert objects and not list(Path(os.environ["MLBP_TREES_CACHE"]).glob("*.tmp"))


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_compiled_trees_match_the_booster_on_every_task(task):
    import lightgbm as lgb

    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 6))
    X[rng.random(X.shape) < 0.05] = np.nan  # missing values take the trees' default branches
    X[:, 5] = rng.integers(0, 7, size=3000)  # a categorical column, split by category sets
    signal = np.nan_to_num(X[:, 0]) * 2 + np.nan_to_num(X[:, 1]) - (X[:, 5] == 3)
    y = {"binary": signal > 0, "multiclass": np.digitize(signal, [-1, 1]), "regression": signal}[task]
    est = (lgb.LGBMRegressor if task == "regression" else lgb.LGBMClassifier)(
        n_estimators=40, num_leaves=15, verbose=-1)
    est.fit(X, y, categorical_feature=[5])
    booster, _ = _raw_predictor(est, task, 1, "booster")
    compiled, kind = _raw_predictor(est, task, 1, "compiled")
    assert kind == "lightgbm-compiled-trees"
    X_new = rng.normal(size=(2000, 6))
    X_new[rng.random(X_new.shape) < 0.05] = np.nan
    X_new[:, 5] = rng.integers(-1, 9, size=2000)  # unseen categories too
    want, have = booster(X_new), compiled(X_new)
    assert have.shape == want.shape
    np.testing.assert_allclose(have, want, rtol=1e-12, atol=1e-12)


def _auto_scorer(example, frame, tmp_path, monkeypatch):
    """score(name): trees=auto on the 3,000-row frame with a cold, private cache (n_jobs=1 scores in
    this process, which forgets its loaded models before each call, as a fresh process would)."""
    src = tmp_path / "in.parquet"
    frame.to_parquet(src)
    monkeypatch.setenv("MLBP_TREES_CACHE", str(tmp_path / "cache"))

    def score(name):
        monkeypatch.setattr(batch, "_MODELS", {})
        return score_dataset(example["bundle"], src, tmp_path / name, n_jobs=1, id_column="offer_id", scored_at=WHEN)
    return score


def test_auto_does_not_compile_for_a_small_input_and_says_how_to(example, frame, tmp_path, monkeypatch):
    cold = _auto_scorer(example, frame, tmp_path, monkeypatch)("cold")
    assert (cold["trees"], cold["predictor"]) == ("cached", "lightgbm-booster")  # 3,000 rows do not repay a compile
    assert "deploy.batch.trees=compiled" in cold["hint"]
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").glob("*.o"))


@pytest.mark.slow  # a cold compile of the example's forest (~8 s); the decision for small inputs is tested above
def test_auto_compiles_big_inputs_and_reuses_the_cache_for_small_ones(example, frame, tmp_path, monkeypatch):
    score = _auto_scorer(example, frame, tmp_path, monkeypatch)
    assert score("cold")["predictor"] == "lightgbm-booster"
    monkeypatch.setattr(batch, "TREES_MIN_ROWS", 1000)
    big = score("big")
    assert (big["trees"], big["predictor"]) == ("compiled", "lightgbm-compiled-trees")
    assert len(list((tmp_path / "cache").glob("*.o"))) == 1
    monkeypatch.setattr(batch, "TREES_MIN_ROWS", 10**9)
    warm = score("warm")  # small again, but compiled already: used
    assert (warm["trees"], warm["predictor"]) == ("cached", "lightgbm-compiled-trees")
    assert "hint" not in warm


def test_compiled_trees_that_disagree_fall_back_to_the_booster(example, monkeypatch):
    real = compiled_trees.lleaves_predictor

    def off_by_a_little(booster, num_iteration, threads, compile_now=True):
        f = real(booster, num_iteration, threads, compile_now)
        return lambda x: f(x) + 1e-6

    monkeypatch.setattr(compiled_trees, "lleaves_predictor", off_by_a_little)
    model = load_serving(example["bundle"], trees="compiled")
    assert model.fast_path == "lightgbm-booster"


def test_unknown_trees_option_names_the_field(example, tmp_path):
    (tmp_path / "x.csv").write_text("a\n1\n")
    with pytest.raises(MlbpError, match="unknown trees option") as err:
        score_dataset(example["bundle"], tmp_path / "x.csv", tmp_path / "out", trees="fastest")
    assert "deploy.batch.trees" in str(err.value)


def test_missing_extra_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(compiled_trees, "available", lambda: False)
    with pytest.raises(MlbpError, match="lleaves") as err:
        compiled_trees.lleaves_predictor(None, None, 1)
    assert "mlbp[trees]" in str(err.value)
