"""Lean predictors: the fitted estimator's own arithmetic on a float matrix, without
scikit-learn's per-call checks (which cost more than the model on one row).

Each is proven before it is used: it must reproduce the estimator's own `predict_proba` /
`predict` on the probe matrix (every category, missing and unseen value of every column) within
1e-12, and then the bundle's golden examples (mlbp.deploy.runtime.serving). When a model is not
one of these kinds, or its lean form differs, None is returned and the estimator's own method
serves.

- linear models (LogisticRegression binary / multinomial / one-vs-rest, Ridge, LinearRegression):
  `X @ coef.T + intercept`, then the logistic or softmax link sklearn applies;
- forests (RandomForest, ExtraTrees; classifier and regressor): every tree's nodes packed into
  flat arrays and walked for all trees at once, level by level, averaging the leaves as sklearn
  does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Predict = Callable[[np.ndarray], np.ndarray]
TOLERANCE = 1e-12


def lean_predictor(est: Any, task: str, probe: np.ndarray, want: Any = None) -> tuple[Predict, str] | None:
    """A proven lean predictor for `est`, or None. `want`: what the estimator answers for the
    probe (computed here from the matrix unless the estimator takes another input)."""
    if want is None:
        reference = est.predict if task == "regression" else getattr(est, "predict_proba", None)
        if reference is None or probe.size == 0:
            return None
        try:
            want = reference(probe)
        except Exception:  # noqa: BLE001 - e.g. a forest on missing values: nothing to prove against
            return None
    want = np.asarray(want, dtype=np.float64)
    for make in (_linear, _forest, _hist_gbm):
        for fn, kind in make(est, task):
            try:
                got = np.asarray(fn(probe), dtype=np.float64)
            except Exception:  # noqa: BLE001, S112 - a candidate that cannot run is not the answer
                continue
            if got.shape == want.shape and np.allclose(got, want, rtol=TOLERANCE, atol=TOLERANCE):
                return fn, kind
    return None


def _linear(est: Any, task: str) -> list[tuple[Predict, str]]:
    coef, intercept = getattr(est, "coef_", None), getattr(est, "intercept_", None)
    if coef is None or intercept is None or type(est).__module__.split(".")[0] != "sklearn":
        return []
    coef = np.asarray(coef, dtype=np.float64)
    b = np.asarray(intercept, dtype=np.float64)
    name = type(est).__name__
    if task == "regression":
        w = coef.reshape(-1) if coef.ndim == 2 and coef.shape[0] == 1 else coef
        return [(lambda x: x @ w.T + b, f"lean {name}")]
    from scipy.special import expit

    w = coef.T

    def binary(x: np.ndarray) -> np.ndarray:
        p = expit((x @ w + b).ravel())
        return np.vstack([1 - p, p]).T

    def softmax(x: np.ndarray) -> np.ndarray:
        d = x @ w + b
        d = np.exp(d - d.max(axis=1, keepdims=True))
        return d / d.sum(axis=1, keepdims=True)

    def one_vs_rest(x: np.ndarray) -> np.ndarray:
        p = expit(x @ w + b)
        return p / p.sum(axis=1, keepdims=True)

    if coef.shape[0] == 1:
        return [(binary, f"lean {name}")]
    return [(softmax, f"lean {name} (multinomial)"), (one_vs_rest, f"lean {name} (one-vs-rest)")]


def _forest(est: Any, task: str) -> list[tuple[Predict, str]]:
    trees = getattr(est, "estimators_", None)
    if not trees or type(est).__module__.split(".")[0] != "sklearn" or not hasattr(trees[0], "tree_"):
        return []
    packed = _pack([t.tree_ for t in trees], classify=task != "regression")
    return [(packed, f"lean {type(est).__name__} ({len(trees)} trees)")]


def _hist_gbm(est: Any, task: str) -> list[tuple[Predict, str]]:
    """HistGradientBoosting past its own input encoding (the probe composes it): the baseline plus
    every iteration's predictors, then the loss's link, as `_raw_predict` and `predict_proba` do."""
    predictors = getattr(est, "_predictors", None)
    if not predictors or not hasattr(est, "_bin_mapper") or not hasattr(est, "_loss"):
        return []
    known, f_idx_map = est._bin_mapper.make_known_categories_bitsets()
    baseline = est._baseline_prediction
    per_iteration = est.n_trees_per_iteration_

    def raw(x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.zeros((x.shape[0], per_iteration), dtype=baseline.dtype, order="F")
        out += baseline
        for trees in predictors:
            for k, tree in enumerate(trees):
                out[:, k] += tree.predict(x, known_cat_bitsets=known, f_idx_map=f_idx_map, n_threads=1)
        return out

    name = f"lean {type(est).__name__} ({len(predictors)} iterations)"
    if task == "regression":
        return [(lambda x: est._loss.link.inverse(raw(x).ravel()), name)]
    return [(lambda x: est._loss.predict_proba(raw(x)), name)]


def _pack(trees: list[Any], classify: bool) -> Predict:
    """All trees as flat arrays (one node table, each tree's root offset) and a predict that walks
    every tree for every row at once, one level per step."""
    offsets = np.cumsum([0] + [t.node_count for t in trees[:-1]])
    left = np.concatenate([t.children_left + np.where(t.children_left >= 0, off, 0)
                           for t, off in zip(trees, offsets, strict=True)])
    right = np.concatenate([t.children_right + np.where(t.children_right >= 0, off, 0)
                            for t, off in zip(trees, offsets, strict=True)])
    feature = np.concatenate([t.feature for t in trees]).astype(np.intp)
    threshold = np.concatenate([t.threshold for t in trees])
    values = np.concatenate([t.value[:, 0, :] for t in trees]).astype(np.float64)
    if classify:  # a leaf's class fractions, as DecisionTreeClassifier.predict_proba gives them
        totals = values.sum(axis=1, keepdims=True)
        values = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    leaf = left < 0
    feature = np.where(leaf, 0, feature)
    roots = offsets.astype(np.intp)
    depth = max(t.max_depth for t in trees)
    n_trees = len(trees)

    def predict(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32).astype(np.float64)  # sklearn trees compare float32 inputs
        rows = np.arange(x.shape[0])[:, None]
        node = np.broadcast_to(roots, (x.shape[0], n_trees)).copy()
        for _ in range(depth):
            go_left = x[rows, feature[node]] <= threshold[node]
            node = np.where(leaf[node], node, np.where(go_left, left[node], right[node]))
        out = values[node]  # (rows, trees, outputs)
        total = out[:, 0, :].copy()
        for k in range(1, n_trees):  # tree by tree, in sklearn's order: the same rounding
            total += out[:, k, :]
        total /= n_trees
        return total[:, 0] if not classify and total.shape[1] == 1 else total

    return predict
