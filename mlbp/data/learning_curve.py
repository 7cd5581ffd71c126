"""A cheap learning curve: validation score at 10/25/50/100% of the training rows.

The newest `validation_share` of rows (by time when there is a time column) is the validation
set, the rest the training pool; a small single-threaded LightGBM is fitted on growing random
subsets of the pool (on a shared 2-core machine, OpenMP threads fighting each other cost more
than they give on a few thousand rows). If the last doubling (50% -> 100%) still gains more
than `max_gain`, more data of the same kind is still paying off.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

FRACTIONS = (0.1, 0.25, 0.5, 1.0)


def _model_frame(df: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for c in features:
        s = df[c]
        if pd.api.types.is_bool_dtype(s):
            out[c] = s.astype("float64")
        elif pd.api.types.is_numeric_dtype(s):
            out[c] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(s):
            continue
        else:
            top = s.astype(object).value_counts().index[:200]  # rare categories share one bucket
            out[c] = pd.Categorical(s.astype(object).where(s.isin(top)), categories=list(top))
    return out


def learning_curve(df: pd.DataFrame, target: str, task: str, features: list[str], time_column: str | None,
                   seed: int = 0, fractions: tuple[float, ...] = FRACTIONS, max_rows: int = 20_000,
                   validation_share: float = 0.2, n_estimators: int = 60, max_gain: float = 0.01) -> dict[str, Any]:
    from lightgbm import LGBMClassifier, LGBMRegressor
    from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

    data = df[df[target].notna()]
    if len(data) > max_rows:
        data = data.sample(max_rows, random_state=seed)
    if time_column and time_column in data.columns:
        data = data.sort_values(time_column, kind="stable")
    else:
        data = data.sample(frac=1.0, random_state=seed)
    n_val = max(int(len(data) * validation_share), 1)
    pool, val = data.iloc[:-n_val], data.iloc[-n_val:]
    X = _model_frame(data, features)  # one category mapping for both sides
    X_pool, X_val = X.iloc[:-n_val], X.iloc[-n_val:]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pool))
    metric = {"regression": "r2", "binary": "roc_auc"}.get(task, "accuracy")
    points = []
    for f in fractions:
        n = int(round(len(pool) * f))
        if n < 50:
            continue
        idx = order[:n]
        y = pool[target].to_numpy()[idx]
        if task == "regression":
            model = LGBMRegressor(n_estimators=n_estimators, num_leaves=15, n_jobs=1, random_state=seed, verbose=-1)
        else:
            if len(np.unique(y)) < 2:
                continue
            model = LGBMClassifier(n_estimators=n_estimators, num_leaves=15, n_jobs=1, random_state=seed, verbose=-1)
        model.fit(X_pool.iloc[idx], y)
        yv = val[target].to_numpy()
        if task == "regression":
            score = r2_score(yv.astype(float), model.predict(X_val))
        elif task == "binary":
            proba = model.predict_proba(X_val)[:, list(model.classes_).index(model.classes_[-1])]
            score = roc_auc_score(yv == model.classes_[-1], proba) if len(np.unique(yv)) > 1 else float("nan")
        else:
            score = accuracy_score(yv, model.predict(X_val))
        points.append({"fraction": f, "rows": n, "score": round(float(score), 5)})
    out: dict[str, Any] = {"metric": metric, "points": points, "validation_rows": len(val), "max_gain": max_gain}
    if len(points) >= 2:
        gain = points[-1]["score"] - points[-2]["score"]
        out["last_gain"] = round(float(gain), 5)
        out["still_improving"] = bool(gain > max_gain)
        out["verdict"] = (f"still improving: {metric} +{gain:.4f} from {points[-2]['fraction']:.0%} to 100% of the "
                          "data; more data is likely to pay off" if gain > max_gain else
                          f"flat: {metric} {gain:+.4f} from {points[-2]['fraction']:.0%} to 100%; more rows of the "
                          "same kind are unlikely to help much")
    return out
