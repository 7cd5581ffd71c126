"""Cross-validation on the training window: the same folds and seeds for every candidate.

Folds come from (seed, row order) only, never from the candidate, so two stacks evaluated in one
sweep see exactly the same splits. Each seed reshuffles the folds *and* reseeds the estimator, so
the spread across seeds measures how much a result owes to luck.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlbp.data.labels import Labels
from mlbp.stacks.build import build_pipeline, thread_limit
from mlbp.stacks.features import feature_columns, to_model_frame
from mlbp.stacks.metrics import metrics_for

if TYPE_CHECKING:
    from mlbp.stacks.splits import SplitStrategy


def fold_indices(y: np.ndarray, task: str, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified for classification, plain shuffled K-fold for regression."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if task == "regression":
        splitter: Any = KFold(n_splits=folds, shuffle=True, random_state=seed)
    else:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y))


def scores_of(model: Any, X: pd.DataFrame, task: str) -> np.ndarray:
    """Positive-class probability (binary), class probabilities (multiclass) or predictions."""
    if task == "regression":
        return np.asarray(model.predict(X), dtype=float)
    proba = np.asarray(model.predict_proba(X), dtype=float)
    return proba[:, 1] if task == "binary" else proba


def cross_validate(stack: dict[str, Any], df: pd.DataFrame, target: str, task: str, exclude: list[str],
                   seeds: list[int], folds: int = 3, max_rows: int | None = None,
                   splitter: SplitStrategy | None = None, labels: Labels | None = None) -> dict[str, Any]:
    """Fit the stack on every (seed, fold); return per-fold metrics, their spread, and the
    out-of-fold scores of the first seed (used to choose the threshold and check calibration
    without touching the holdout). With a split strategy, its folds (time-ordered, stratified or
    grouped, as the holdout was made); without one, stratified / shuffled K-fold."""
    if max_rows and len(df) > max_rows:
        df = df.sample(n=max_rows, random_state=seeds[0]).sort_index()
    numeric, categorical = feature_columns(df, target, exclude)
    X = to_model_frame(df, numeric, categorical)
    if task == "regression":
        y = df[target].to_numpy(dtype=float)
    else:  # the model's own encoding, so fold metrics speak of the same positive class
        y = (labels or Labels.learn(df[target], task, where=target)).encode(df[target], target)
    runs: list[dict[str, Any]] = []
    oof: np.ndarray | None = None
    for s_i, seed in enumerate(seeds):
        seed_oof = None
        fold_list = splitter.folds(df, y, task, folds, seed) if splitter is not None else \
            fold_indices(y, task, folds, seed)
        for f_i, (tr, te) in enumerate(fold_list):
            model = build_pipeline(stack, numeric, categorical, seed, task)
            with thread_limit(stack):
                model.fit(X.iloc[tr], y[tr])
                s = scores_of(model, X.iloc[te], task)
            if seed_oof is None:
                seed_oof = np.zeros((len(y),) + s.shape[1:])
            seed_oof[te] = s
            runs.append({"seed": seed, "fold": f_i, **metrics_for(task, y[te], s)})
        if s_i == 0:
            oof = seed_oof
    frame = pd.DataFrame(runs)
    metric_cols = [c for c in frame.columns if c not in ("seed", "fold")]
    per_seed = frame.groupby("seed")[metric_cols].mean()
    summary = {m: {"mean": float(frame[m].mean()), "std_folds": float(frame[m].std(ddof=0)),
                   "std_seeds": float(per_seed[m].std(ddof=0)) if len(per_seed) > 1 else 0.0,
                   "min": float(frame[m].min()), "max": float(frame[m].max())} for m in metric_cols}
    return {"folds": folds, "seeds": list(seeds), "rows": len(df), "runs": runs, "summary": summary,
            "fold_strategy": splitter.name if splitter is not None else "shuffled",
            "oof": oof, "oof_y": y, "oof_frame_index": df.index.to_numpy()}
