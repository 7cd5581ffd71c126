"""Task metrics from scikit-learn, one function per task, so every candidate is scored alike.
(scikit-learn is imported inside the functions: building a run graph imports this module.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def classification_metrics(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """proba: (n,) positive-class probability for binary, (n, k) for multiclass."""
    import numpy as np
    from sklearn import metrics as skm

    if proba.ndim == 1:
        p = np.clip(proba, 1e-12, 1 - 1e-12)
        single = len(np.unique(y)) < 2
        return {
            "roc_auc": float("nan") if single else float(skm.roc_auc_score(y, p)),
            "pr_auc": float("nan") if single else float(skm.average_precision_score(y, p)),
            "log_loss": float(skm.log_loss(y, p, labels=[0, 1])),
            "brier": float(skm.brier_score_loss(y, p)),
            "positive_rate": float(np.mean(y)),
        }
    labels = list(range(proba.shape[1]))
    return {
        "roc_auc_ovr": _ovr_auc(y, proba),
        "log_loss": float(skm.log_loss(y, proba, labels=labels)),
        "accuracy": float(skm.accuracy_score(y, proba.argmax(axis=1))),
        "macro_f1": float(skm.f1_score(y, proba.argmax(axis=1), labels=labels, average="macro", zero_division=0)),
    }


def _ovr_auc(y: np.ndarray, proba: np.ndarray) -> float:
    """One-vs-rest ROC AUC, macro-averaged over the classes present: with 15 classes a fold or a
    holdout often lacks a rare one, for which no AUC exists (scikit-learn then refuses outright)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    aucs = [roc_auc_score(y == k, proba[:, k]) for k in range(proba.shape[1]) if 0 < np.sum(y == k) < len(y)]
    return float(np.mean(aucs)) if aucs else float("nan")


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    import numpy as np
    from sklearn import metrics as skm

    return {
        "rmse": float(np.sqrt(skm.mean_squared_error(y, pred))),
        "mae": float(skm.mean_absolute_error(y, pred)),
        "r2": float(skm.r2_score(y, pred)),
    }


def score_model(model, X, y: np.ndarray, task: str) -> tuple[dict[str, float], np.ndarray]:
    """(metrics, scores): scores are positive-class probabilities (binary), probabilities (multiclass)
    or predictions (regression)."""
    import numpy as np

    if task == "regression":
        pred = np.asarray(model.predict(X), dtype=float)
        return regression_metrics(y, pred), pred
    proba = np.asarray(model.predict_proba(X), dtype=float)
    if task == "binary":
        proba = proba[:, 1]
    return classification_metrics(y, proba), proba


PRIMARY = {"binary": ("roc_auc", True), "multiclass": ("log_loss", False), "regression": ("rmse", False)}


def metrics_for(task: str, y: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """The task's metrics from scores already computed (see `score_model`)."""
    if task == "regression":
        return regression_metrics(y, scores)
    return classification_metrics(y, scores)


# the metric the weighted total uses as "validity", always in [0, 1] and higher-is-better
QUALITY = {"binary": "roc_auc", "multiclass": "roc_auc_ovr", "regression": "r2"}
