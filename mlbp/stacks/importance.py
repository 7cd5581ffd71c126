"""Feature importance by permutation on raw input columns: works for any estimator, whatever its
library or preprocessing, because it only calls the pipeline's own predictions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlbp.stacks.cv import scores_of
from mlbp.stacks.metrics import metrics_for


def permutation_importance(model: Any, X: pd.DataFrame, y: np.ndarray, task: str, metric: str,
                           higher_is_better: bool, rows: int = 2000, repeats: int = 2, seed: int = 0
                           ) -> list[dict[str, Any]]:
    """Drop in `metric` when one column is shuffled (mean over repeats), largest first."""
    rng = np.random.default_rng(seed)
    if len(X) > rows:
        pick = rng.choice(len(X), rows, replace=False)
        X, y = X.iloc[pick].reset_index(drop=True), y[pick]
    base = metrics_for(task, y, scores_of(model, X, task)).get(metric, float("nan"))
    out = []
    for col in X.columns:
        drops = []
        for _ in range(repeats):
            shuffled = X.copy()
            shuffled[col] = shuffled[col].to_numpy()[rng.permutation(len(X))]
            value = metrics_for(task, y, scores_of(model, shuffled, task)).get(metric, float("nan"))
            drops.append(base - value if higher_is_better else value - base)
        out.append({"feature": col, "importance": float(np.mean(drops)), "std": float(np.std(drops))})
    return sorted(out, key=lambda r: -r["importance"])
