"""Stack spec -> an unfitted scikit-learn Pipeline (preprocess + estimator), for any task.

A stack file names one estimator per task, plus hyperparameters every task shares::

    estimator:                      # train picks estimator[task]
      binary: {_target_: lightgbm.LGBMClassifier}
      multiclass: {_target_: lightgbm.LGBMClassifier}
      regression: {_target_: lightgbm.LGBMRegressor}
    params: {n_estimators: 200}     # merged into whichever estimator the task picks
    calibration: null               # null | sigmoid | isotonic: recalibrate classifier probabilities

A single `estimator: {_target_: ...}` (no task keys) is used for every task. Anything with the
scikit-learn estimator API works, whatever its library (add its prefix to `allow_targets`).
"""

from __future__ import annotations

from typing import Any

from mlbp.engine.errors import MlbpError
from mlbp.engine.targets import build

TASKS = ("binary", "multiclass", "regression")
CALIBRATION = (None, "sigmoid", "isotonic")


def estimator_spec(stack: dict[str, Any], task: str) -> dict[str, Any]:
    """The `_target_` spec for this task, with the shared `params` merged under its own keys."""
    est = dict(stack.get("estimator") or {})
    if "_target_" not in est:
        if task not in est or not est[task]:
            raise MlbpError(f"stack '{stack.get('name', '?')}' has no estimator for task '{task}'",
                            key=f"stack.estimator.{task}", expected=f"one of the tasks {TASKS} with a _target_",
                            got=sorted(est) or None,
                            fix=f"add `estimator.{task}: {{_target_: ...}}` to the stack file or choose another stack")
        est = dict(est[task])
    if "_target_" not in est:
        raise MlbpError("a stack needs an estimator with a _target_", key=f"stack.estimator.{task}",
                        expected="{_target_: some.Estimator, ...}", got=est)
    return {**(stack.get("params") or {}), **est}


def build_pipeline(stack: dict[str, Any], numeric: list[str], categorical: list[str], seed: int,
                   task: str = "binary") -> Any:
    """preprocess + estimator (optionally wrapped in a probability calibrator), built from plain data."""
    from sklearn.pipeline import Pipeline

    pre = build(stack.get("preprocess") or {"_target_": "mlbp.stacks.preprocess.Preprocess"}, "stack.preprocess")
    est = build(estimator_spec(stack, task), f"stack.estimator.{task}")
    for method in ("fit", "get_params", "set_params"):
        if not hasattr(est, method):
            raise MlbpError(f"estimator {type(est).__name__} does not follow the scikit-learn API (no {method})",
                            key=f"stack.estimator.{task}", expected="fit / predict / get_params / set_params",
                            got=type(est).__name__)
    needed = "predict" if task == "regression" else "predict_proba"
    if not hasattr(est, needed):
        raise MlbpError(f"estimator {type(est).__name__} has no {needed}, which task '{task}' needs",
                        key=f"stack.estimator.{task}", expected=f"an estimator with {needed}",
                        got=type(est).__name__, fix="pick a regressor for regression, a classifier otherwise")
    if "random_state" in est.get_params():
        est.set_params(random_state=seed)
    _all_columns_when_few(est, len(numeric) + len(categorical))
    pipe = Pipeline([("preprocess", pre.build(numeric, categorical)), ("model", est)])
    method = stack.get("calibration")
    if method not in CALIBRATION:
        raise MlbpError("unknown calibration method", key="stack.calibration",
                        expected="null | sigmoid | isotonic", got=method)
    if method and task != "regression":
        from sklearn.calibration import CalibratedClassifierCV

        return CalibratedClassifierCV(pipe, method=method, cv=3)
    return pipe


MIN_COLUMNS_TO_SAMPLE = 10


def _all_columns_when_few(est: Any, n_columns: int) -> None:
    """Column sampling (`colsample_bytree` < 1) regularises a wide table, but on a narrow one it
    removes signal: 0.8 of 3 columns is 2 in every tree, and a target that needs all three
    (seats x price x months) scored 40% worse RMSE than LightGBM's defaults (bench/corpus.py).
    Under MIN_COLUMNS_TO_SAMPLE columns every tree sees every column."""
    params = est.get_params()
    if n_columns < MIN_COLUMNS_TO_SAMPLE and (params.get("colsample_bytree") or 1.0) < 1.0:
        est.set_params(colsample_bytree=1.0)


def thread_limit(stack: dict[str, Any]) -> Any:
    """Cap OpenMP/BLAS threads while fitting or scoring (`threads:` in the stack file).

    Estimators without an n_jobs knob (scikit-learn's HistGradientBoosting) use every core through
    OpenMP; with sweep jobs side by side on a shared machine that oversubscribes the cores and a
    fit can be 50x slower. null leaves the libraries' defaults.
    """
    import contextlib

    threads = stack.get("threads")
    if not threads:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=int(threads))
