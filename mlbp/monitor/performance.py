"""Live performance once labels arrive: the task's metrics by window vs the training baseline,
and the business value (reward from feedback) per variant.

Predictions are joined to feedback by request_id (in `mlbp.monitor.window`). Metrics are the
same functions the evaluation stage used (`mlbp.stacks.metrics`), so a drop is a real drop and
not a different formula. The baseline is the bundle manifest's holdout `metrics`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from mlbp.data.labels import Labels, label_key
from mlbp.monitor.window import Window

LOWER_IS_BETTER = {"log_loss", "brier", "rmse", "mae"}


def task_metrics(task: str, y: np.ndarray, frame: pd.DataFrame, labels: Labels | None = None) -> dict[str, float]:
    """The evaluation's metrics on labelled rows; labels arrive in the user's own form ("Yes",
    True, 2) and are encoded by the model's own encoding. Unknown labels are left out."""
    from mlbp.stacks.metrics import classification_metrics, regression_metrics

    if task == "regression":
        return regression_metrics(y.astype(float), frame["out.prediction"].to_numpy(dtype=float))
    if task == "binary":
        codes = (labels or Labels([0, 1], 1)).codes_or_unknown(y)
        keep = codes >= 0
        return classification_metrics(codes[keep], frame.loc[keep, "out.probability"].to_numpy(dtype=float))
    prob_cols = [c for c in frame.columns if c.startswith("out.probability_")]
    index = {label_key(c[len("out.probability_"):]): i for i, c in enumerate(prob_cols)}
    yi = np.array([index.get(label_key(v), -1) for v in y])
    keep = yi >= 0
    return classification_metrics(yi[keep], frame.loc[keep, prob_cols].to_numpy(dtype=float))


def degradation(metric: str, baseline: float, current: float) -> float:
    """How much worse current is than baseline (positive = worse), whatever the metric's direction."""
    return (current - baseline) if metric in LOWER_IS_BETTER else (baseline - current)


class PerformanceMonitor:
    name = "performance"

    def __init__(self, metrics: list[str] | None = None, max_drop: dict[str, float] | None = None,
                 min_labels: int = 200, buckets: int = 6, business: dict[str, Any] | None = None) -> None:
        self.business = business
        self.metrics = metrics
        self.max_drop = max_drop or {"roc_auc": 0.05}
        self.min_labels = min_labels
        self.buckets = buckets

    def run(self, window: Window) -> dict[str, Any]:
        f = window.frame
        sig = window.manifest.get("signature", {})
        task = sig.get("task", "binary")
        labels = Labels.from_info(sig) if task != "regression" else None
        baseline = {k: v for k, v in (window.manifest.get("metrics") or {}).items() if isinstance(v, int | float)}
        result: dict[str, Any] = {"task": task, "baseline": baseline,
                                  "variants": self._variants(f, labels if task == "binary" else None)}
        if self.business and task == "binary":
            self._business_value(f, result["variants"], labels)
        labelled = f[f["label"].notna()] if "label" in f.columns and len(f) else f.iloc[0:0]
        served = labelled[~labelled["shadow"].astype(bool)] if len(labelled) else labelled
        result["labelled_rows"] = len(served)
        result["label_coverage"] = len(served) / max(len(window.served), 1)
        if len(served) < self.min_labels:
            result |= {"status": "waiting_for_labels", "degraded": [], "alert": False}
            return result
        current = task_metrics(task, served["label"].to_numpy(), served, labels)
        if labels is not None:
            unknown = int((labels.codes_or_unknown(served["label"].to_numpy()) < 0).sum())
            result["unknown_labels"] = unknown  # feedback naming no class of the model: left out, counted
        if self.metrics:
            current = {k: v for k, v in current.items() if k in self.metrics}
        drops = {k: degradation(k, baseline[k], v) for k, v in current.items()
                 if k in baseline and not math.isnan(v)}
        degraded = [k for k, limit in self.max_drop.items() if k in drops and drops[k] > float(limit)]
        result |= {"status": "measured", "current": current, "drop": drops, "max_drop": self.max_drop,
                   "degraded": degraded, "alert": bool(degraded), "by_time": self._by_time(task, served, labels)}
        return result

    def _by_time(self, task: str, labelled: pd.DataFrame, labels: Labels | None = None) -> list[dict[str, Any]]:
        """Metrics over equal time slices of the window, for the 'performance over time' plot."""
        out = []
        if len(labelled) < 2 * self.min_labels or self.buckets < 2:
            return out
        edges = np.linspace(labelled["time"].min(), labelled["time"].max() + 1e-6, self.buckets + 1)
        idx = np.searchsorted(edges, labelled["time"].to_numpy(), side="right") - 1
        for b in range(self.buckets):
            part = labelled[idx == b]
            if len(part) >= max(self.min_labels // 4, 20):
                out.append({"start": float(edges[b]), "end": float(edges[b + 1]), "rows": len(part),
                            **task_metrics(task, part["label"].to_numpy(), part, labels)})
        return out

    def _business_value(self, f: pd.DataFrame, variants: dict[str, dict[str, Any]], labels: Labels | None) -> None:
        """Realised value of each variant's decisions on labelled rows, with the evaluation's value rules:
        acting (predicting the positive class) earns if_positive when the label is the positive class,
        and always costs per_action."""
        from mlbp.stacks.business import row_values, value_columns

        cols = value_columns(self.business or {})
        needed = [f"in.{c}" for c in cols]
        if not len(f) or "label" not in f.columns or "out.prediction" not in f.columns or \
                not set(needed) <= set(f.columns):
            return
        served = f[~f["shadow"].astype(bool) & f["label"].notna()]
        for variant, part in served.groupby(served["variant"].fillna("default")):
            values = part[needed].rename(columns=lambda c: c[3:]).apply(pd.to_numeric, errors="coerce")
            v_pos, v_neg = row_values(values, self.business or {})
            codes = labels or Labels([0, 1], 1)
            acted = codes.codes_or_unknown(part["out.prediction"].to_numpy()) == 1
            y = codes.codes_or_unknown(part["label"].to_numpy()) == 1
            value = np.where(acted, np.where(y, v_pos, v_neg), 0.0)
            row = variants.setdefault(str(variant), {})
            row |= {"business_value": float(value.sum()), "business_value_per_request": float(value.mean()),
                    "acted_share": float(acted.mean())}

    @staticmethod
    def _variants(f: pd.DataFrame, labels: Labels | None = None) -> dict[str, dict[str, Any]]:
        """Requests, shadow share, labels and reward (business value) per variant."""
        if not len(f) or "variant" not in f.columns:
            return {}
        out = {}
        for variant, part in f.groupby(f["variant"].fillna("default"), sort=True):
            served = part[~part["shadow"].astype(bool)]
            row: dict[str, Any] = {"requests": len(served), "shadow_predictions": int(part["shadow"].sum()),
                                   "version": str(part["version"].dropna().iloc[0]) if part["version"].notna().any()
                                   else None, "rewards": 0, "reward_sum": 0.0, "reward_mean": None, "labels": 0,
                                   "positive_rate": None, "latency_p95_ms": None}
            if "reward" in part.columns:
                r = pd.to_numeric(served["reward"], errors="coerce").dropna()
                row |= {"rewards": len(r), "reward_sum": float(r.sum()),
                        "reward_mean": float(r.mean()) if len(r) else None}
            if "label" in part.columns:
                given = served["label"].dropna()
                if labels is not None:  # the share of the positive class, whatever its name
                    codes = labels.codes_or_unknown(given.to_numpy())
                    rate = float((codes[codes >= 0] == 1).mean()) if (codes >= 0).any() else None
                else:
                    numbers = pd.to_numeric(given, errors="coerce").dropna()
                    rate = float(numbers.mean()) if len(numbers) else None
                row |= {"labels": len(given), "positive_rate": rate}
            if "latency_ms" in part.columns and len(served):
                row["latency_p95_ms"] = float(np.percentile(served["latency_ms"].dropna(), 95)) \
                    if served["latency_ms"].notna().any() else None
            out[str(variant)] = row
        return out
