"""Conformance suite: every file in conf/stack composes, builds, fits and predicts for every task,
through the same code the pipeline uses. A new stack file is tested by adding it; nothing else."""

from __future__ import annotations

import copy
import functools
from importlib import resources

import numpy as np
import pytest
from omegaconf import OmegaConf

from mlbp.compose.launch import compose_config
from mlbp.engine.errors import MlbpError
from mlbp.stacks.build import build_pipeline, estimator_spec
from mlbp.stacks.predict import predict_frame
from mlbp.stacks.train import fit_stack

STACK_DIR = resources.files("mlbp.conf") / "stack"
STACKS = sorted(p.name.removesuffix(".yaml") for p in STACK_DIR.iterdir() if p.name.endswith(".yaml"))
TASKS = ("binary", "multiclass", "regression")


@functools.cache
def _composed(name: str, overrides: tuple[str, ...]) -> dict:
    cfg = compose_config([f"stack={name}", *overrides])
    return OmegaConf.to_container(cfg.stack, resolve=True)


def composed_stack(name: str, *overrides: str) -> dict:
    """The stack node as the pipeline composes it; each (stack, overrides) is composed once per test
    session (Hydra takes ~0.4 s a composition), and every caller gets its own copy."""
    return copy.deepcopy(_composed(name, overrides))


def test_the_required_candidates_exist():
    assert {"logistic", "hist_gbm", "random_forest", "xgboost", "lightgbm"} <= set(STACKS)


@pytest.mark.parametrize("name", STACKS)
def test_stack_file_shape(name):
    text = (STACK_DIR / f"{name}.yaml").read_text()
    assert text.startswith("#") and f"stack={name}" in text.splitlines()[0], "first line shows the command"
    stack = composed_stack(name)
    assert stack["name"] == name
    assert stack["preprocess"]["_target_"] == "mlbp.stacks.preprocess.Preprocess"
    for task in TASKS:
        assert "_target_" in estimator_spec(stack, task)
    assert stack.get("calibration") in (None, "sigmoid", "isotonic")


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("name", STACKS)
def test_stack_fits_and_predicts(name, task, small_frame, exclude, task_targets):
    from sklearn.base import clone

    target, extra = task_targets[task]
    stack = composed_stack(name)
    df = small_frame
    pipe, info = fit_stack(stack, df, target, task, exclude + extra + ["distance_band", "ticket"], seed=5)
    assert info["stack"] == name and info["task"] == task
    assert clone(pipe).get_params()  # scikit-learn API: clone + get_params work
    out = predict_frame(pipe, info, df.head(50), threshold=0.5)
    assert len(out) == 50 and "prediction" in out
    if task == "binary":
        p = out["probability"].to_numpy()
        assert ((p >= 0) & (p <= 1)).all() and set(out["prediction"]) <= {0, 1}
    elif task == "multiclass":
        probs = out[[c for c in out if c.startswith("probability_")]].to_numpy()
        assert probs.shape[1] == 3 and np.allclose(probs.sum(axis=1), 1.0)
        assert set(out["prediction"]) <= {0, 1, 2}
    else:
        assert np.isfinite(out["prediction"].to_numpy()).all()
    # one-row calls (what a server does) give the same numbers as the batch
    again = predict_frame(pipe, info, df.head(50).iloc[[7]], threshold=0.5)
    assert np.allclose(again.drop(columns="prediction").to_numpy(dtype=float),
                       out.iloc[[7]].drop(columns="prediction").to_numpy(dtype=float))


def test_same_seed_same_model(small_frame, exclude):
    stack = composed_stack("lightgbm")
    a, info = fit_stack(stack, small_frame, "redeemed", "binary", exclude, seed=9)
    b, _ = fit_stack(stack, small_frame, "redeemed", "binary", exclude, seed=9)
    X = small_frame.head(200)
    assert np.array_equal(predict_frame(a, info, X)["probability"], predict_frame(b, info, X)["probability"])


@pytest.mark.parametrize("encoding", ["onehot", "ordinal", "native"])
def test_every_categorical_encoding_builds(encoding, small_frame, exclude):
    stack = composed_stack("lightgbm", f"stack.preprocess.categorical={encoding}")
    pipe, info = fit_stack(stack, small_frame, "redeemed", "binary", exclude, seed=1)
    # unseen category at predict time: no error, a probability
    row = small_frame.head(1).copy()
    row["region"] = "atlantis"
    assert 0 <= predict_frame(pipe, info, row)["probability"].iloc[0] <= 1


def test_native_categoricals_reach_lightgbm_as_categories(small_frame, exclude):
    stack = composed_stack("lightgbm")
    pipe, _ = fit_stack(stack, small_frame, "redeemed", "binary", exclude, seed=1)
    booster = pipe.named_steps["model"].booster_
    assert booster.dump_model()["pandas_categorical"], "LightGBM saw pandas categories (native splits)"


def test_recalibration_option_wraps_the_classifier(small_frame, exclude):
    stack = composed_stack("logistic", "stack.calibration=isotonic")
    pipe, info = fit_stack(stack, small_frame, "redeemed", "binary", exclude, seed=1)
    assert type(pipe).__name__ == "CalibratedClassifierCV"
    assert predict_frame(pipe, info, small_frame.head(5))["probability"].between(0, 1).all()


def test_a_stack_without_an_estimator_for_the_task_names_the_key():
    stack = {"name": "x", "estimator": {"binary": {"_target_": "sklearn.linear_model.LogisticRegression"}}}
    with pytest.raises(MlbpError) as err:
        build_pipeline(stack, ["a"], [], seed=0, task="regression")
    assert err.value.key == "stack.estimator.regression"


def test_a_classifier_for_regression_is_refused():
    stack = {"name": "x", "estimator": {"_target_": "sklearn.linear_model.LogisticRegression"}}
    build_pipeline(stack, ["a"], [], seed=0, task="binary")  # single estimator: fine for its own task
    with pytest.raises(MlbpError):
        build_pipeline({"name": "x", "estimator": {"_target_": "sklearn.linear_model.Ridge"}}, ["a"], [], 0, "binary")


def test_any_library_with_the_sklearn_api_is_one_yaml_node(small_frame, exclude):
    """A candidate from outside the default prefixes works once its prefix is allowed."""
    from mlbp.engine import targets

    stack = {"name": "dummy", "preprocess": {"_target_": "mlbp.stacks.preprocess.Preprocess"},
             "estimator": {"binary": {"_target_": "sklearn.dummy.DummyClassifier", "strategy": "prior"}}}
    pipe, info = fit_stack(stack, small_frame, "redeemed", "binary", exclude, seed=0)
    p = predict_frame(pipe, info, small_frame.head(3))["probability"]
    assert np.allclose(p, small_frame["redeemed"].mean())
    with pytest.raises(MlbpError):
        targets.locate("tests.stacks.not_allowed.Model")
