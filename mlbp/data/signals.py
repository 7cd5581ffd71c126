"""Per-column signals for the feasibility assessment: id-like columns and leakage suspects.

A leakage suspect is a single column that nearly predicts the target on its own: a per-column
ROC AUC (classification; folded to >= 0.5, categories target-encoded out of fold so a
high-cardinality column cannot score by memorizing) or |Spearman rho| (regression).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


if TYPE_CHECKING:
    import pandas as pd


def id_like(df: pd.DataFrame, features: list[str], share: float = 0.95) -> list[str]:
    """Text or integer columns whose values are (nearly) all distinct: keys, not features."""
    import pandas as pd

    out = []
    for c in features:
        s = df[c].dropna()
        if len(s) < 20 or pd.api.types.is_float_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if pd.api.types.is_datetime64_any_dtype(s):
            continue
        if s.nunique() / len(s) >= share:
            out.append(c)
    return out


def _encode_out_of_fold(x: pd.Series, y: np.ndarray, seed: int) -> np.ndarray:
    """Each row gets the target mean of its category in the *other* half of the rows."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    fold = rng.random(len(x)) < 0.5
    codes, _ = pd.factorize(x.astype(object), use_na_sentinel=False)
    out = np.empty(len(x), dtype=float)
    prior = float(np.mean(y))
    n_codes = codes.max() + 1 if len(codes) else 0
    for train_mask in (fold, ~fold):
        sums = np.bincount(codes[train_mask], weights=y[train_mask], minlength=n_codes)
        counts = np.bincount(codes[train_mask], minlength=n_codes)
        means = (sums + prior * 5) / (counts + 5)  # shrunk toward the prior: rare categories say little
        out[~train_mask] = means[codes[~train_mask]]
    return out


def _numeric(x: pd.Series) -> np.ndarray:
    import numpy as np
    import pandas as pd

    v = pd.to_numeric(x, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    if np.isnan(v).all():
        return np.zeros(len(v))
    return np.where(np.isnan(v), np.nanmedian(v), v)


def _ranks(v: np.ndarray) -> np.ndarray:
    import pandas as pd

    return pd.Series(v).rank(method="average").to_numpy()


def _auc(y: np.ndarray, v: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic (ties count half), the value sklearn's roc_auc_score
    gives; computed here so `mlbp init` does not pay for importing scikit-learn and scipy."""
    pos = y == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return 0.5
    return float((_ranks(v)[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _spearman(v: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: Pearson's correlation of the average ranks (NaN where y is missing is dropped)."""
    import numpy as np

    keep = ~np.isnan(y)
    rv, ry = _ranks(v[keep]), _ranks(y[keep])
    if rv.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rv, ry)[0, 1])


def single_column_scores(df: pd.DataFrame, target: str, task: str, features: list[str], seed: int = 0,
                         max_rows: int = 20_000) -> dict[str, float]:
    """How well each column alone predicts the target (AUC, or |rho| for regression)."""
    import numpy as np
    import pandas as pd

    data = df if len(df) <= max_rows else df.sample(max_rows, random_state=seed)
    data = data[data[target].notna()]
    y_raw = data[target]
    scores: dict[str, float] = {}
    if task == "regression":
        y = pd.to_numeric(y_raw, errors="coerce").to_numpy(dtype=float)
        if np.nanstd(y) == 0:
            return {}  # a constant target: nothing can predict it (the target_std check says so)
    else:
        classes = pd.unique(y_raw)
        if len(classes) < 2:
            return {}
    for c in features:
        x = data[c]
        is_num = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
        if task == "regression":
            v = _numeric(x) if is_num else _encode_out_of_fold(x, y, seed)
            if np.std(v) == 0:
                continue
            rho = _spearman(v, y)
            scores[c] = round(float(abs(rho)), 4) if np.isfinite(rho) else 0.0
            continue
        aucs = []
        for k in (classes if len(classes) > 2 else classes[1:]):
            yk = (y_raw == k).to_numpy(dtype=float)
            v = _numeric(x) if is_num else _encode_out_of_fold(x, yk, seed)
            if np.std(v) == 0:
                aucs.append(0.5)
                continue
            auc = _auc(yk, v)
            aucs.append(max(auc, 1 - auc))
        scores[c] = round(float(np.mean(aucs)), 4)
    return scores


# a name that says the value is known only after the outcome (a refund, a resolution, a chargeback)
AFTER_NAME = re.compile(r"(^|_)(after|outcome|result|resolution|resolved|closed|final|refund(ed)?|chargeback|"
                        r"settled|cancell?ed|paid_off|collected|recovered)(_|$)", re.I)


def leak_reason(column: str, score: float | None, limit: float) -> str | None:
    """Why `column` looks like a leak, or None: the one rule `mlbp init`'s column roles and assess's
    leakage check share. A name recorded after the outcome, or a single-column score at `limit`."""
    if AFTER_NAME.search(column):
        return "its name says it is recorded after the outcome"
    if score is not None and score >= limit:
        return f"alone it predicts the target almost perfectly (score {score:.3f})"
    return None


def leakage_suspects(scores: dict[str, float], limit: float, columns: list[str] | None = None
                     ) -> list[dict[str, Any]]:
    """Each suspect with its score, the reason and the fix, strongest first; `columns` adds the
    columns whose name alone makes them suspects (they may score anything)."""
    names = list(dict.fromkeys([*(columns or []), *scores]))
    out = []
    for c in names:
        why = leak_reason(c, scores.get(c), limit)
        if why:
            out.append({"column": c, "score": scores.get(c), "reason": why,
                        "fix": f"if '{c}' is not known when the model predicts, drop it: add it to data.exclude "
                               f"(mlbp init: roles.leak=[{c}]); if it is, keep it and this stays a warning"})
    return sorted(out, key=lambda r: -(r["score"] or 2.0))
