"""Calibration of binary probabilities: the reliability curve, expected calibration error (ECE),
and what recalibration on out-of-fold scores would buy on the holdout.

ECE = sum over equal-width bins of (rows in bin / rows) * |mean predicted - observed rate|.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Per equal-width bin: mean predicted probability, observed positive rate, row count; and ECE."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    curve = []
    ece = 0.0
    for b in range(bins):
        mask = idx == b
        n = int(mask.sum())
        if n == 0:
            continue
        predicted, observed = float(p[mask].mean()), float(y[mask].mean())
        ece += n / len(p) * abs(predicted - observed)
        curve.append({"bin": b, "predicted": round(predicted, 5), "observed": round(observed, 5), "rows": n})
    return {"ece": float(ece), "bins": bins, "curve": curve}


def recalibrated_ece(oof_y: np.ndarray, oof_p: np.ndarray, y: np.ndarray, p: np.ndarray,
                     method: str = "isotonic", bins: int = 10) -> float:
    """ECE on the holdout after a mapping fitted on out-of-fold scores (never on the holdout)."""
    if method == "sigmoid":
        from sklearn.linear_model import LogisticRegression

        logit = lambda q: np.log(np.clip(q, 1e-6, 1 - 1e-6) / (1 - np.clip(q, 1e-6, 1 - 1e-6)))  # noqa: E731
        lr = LogisticRegression().fit(logit(oof_p).reshape(-1, 1), oof_y)
        mapped = lr.predict_proba(logit(p).reshape(-1, 1))[:, 1]
    else:
        from sklearn.isotonic import IsotonicRegression

        mapped = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(oof_p, oof_y).predict(p)
    return reliability(y, np.asarray(mapped, dtype=float), bins)["ece"]
