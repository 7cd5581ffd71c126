"""Feature and prediction drift against the bundle's reference profile, built against false alarms.

Method by column kind and sample size, Evidently's defaults as the baseline: with more than
`small_sample` rows, normed Wasserstein (numeric) and Jensen-Shannon distance (categorical), each
drifting at an effect size of 0.1; on small samples, the KS test (numeric) and chi-square
(categorical) at alpha 0.05. Numeric columns with <= 20 distinct values are treated as categories.
Every method and threshold can be overridden per column.

Three guards against the false alarms raw p-values raise on large samples:
1. a column drifts only if its *effect size* passes the threshold (tests also need a significant
   p-value, never a p-value alone);
2. p-values are Benjamini-Hochberg corrected across all columns of the window;
3. a column *alerts* only after it drifted in `persist_windows` consecutive windows (history is
   kept per model in the monitor state folder);
4. a categorical column with many levels is compared like with like (mlbp.monitor.stats): levels
   the window would see fewer than 5 times are pooled into "other" with every level past the
   reference's top counts, and its distance threshold is raised to the distance two samples of
   these sizes show with no drift at all (`noise_floor`), so 4,000 levels and 400 rows do not
   alarm on sampling noise. The unseen share is exact: the bundle's profile keeps the hash of
   every training level.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlbp.data.profile import decode_hashes, profile_frame
from mlbp.engine.errors import MlbpError
from mlbp.monitor.stats import benjamini_hochberg, categorical_scores, category_counts, numeric_scores
from mlbp.monitor.window import Window

# method -> (statistic key, p-value key or None)
METHODS: dict[str, tuple[str, str | None]] = {
    "wasserstein": ("wasserstein_normed", None),
    "ks": ("ks", "ks_pvalue"),
    "psi": ("psi", None),
    "jensenshannon": ("jensenshannon", None),
    "chisquare": ("jensenshannon", "chisquare_pvalue"),  # effect size: JS distance between the shares
}
NUMERIC_METHODS = ("wasserstein", "ks", "psi")
CATEGORICAL_METHODS = ("jensenshannon", "chisquare", "psi")
NOISE_FLOOR = {"jensenshannon": "noise_floor", "psi": "psi_noise_floor"}  # categorical: the no-drift distance
DEFAULT_THRESHOLDS = {"wasserstein": 0.1, "jensenshannon": 0.1, "psi": 0.1, "ks": 0.05, "chisquare": 0.05}


def choose_method(kind: str, n: int, small_sample: int, numeric_method: str, categorical_method: str) -> str:
    if kind == "numeric":
        return numeric_method if numeric_method != "auto" else ("ks" if n <= small_sample else "wasserstein")
    return categorical_method if categorical_method != "auto" else (
        "chisquare" if n <= small_sample else "jensenshannon")


def column_scores(ref: dict[str, Any], values: pd.Series, method: str, psi_bins: int = 10) -> tuple[str, dict]:
    """(kind used, scores) for one column against its profile."""
    low_card = ref.get("kind") == "numeric" and "values" in ref
    if ref.get("kind") == "numeric" and not low_card:
        v = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        return "numeric", numeric_scores(ref, v, psi_bins)
    if low_card:
        v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype="float64")
        u, c = np.unique(v, return_counts=True)
        return "categorical", categorical_scores(ref["values"], {str(float(a)): int(b) for a, b in zip(u, c,
                                                                                                     strict=True)})
    levels = decode_hashes(ref["level_hashes"]) if ref.get("level_hashes") else None
    return "categorical", categorical_scores(ref.get("counts", {}), category_counts(values.dropna()),
                                             int(ref.get("other_count", 0)), levels)


class DriftMonitor:
    """Drift of the served inputs (and the model's outputs) in a window."""

    name = "drift"

    def __init__(self, columns: list[str] | None = None, small_sample: int = 1000, numeric_method: str = "auto",
                 categorical_method: str = "auto", thresholds: dict[str, float] | None = None, alpha: float = 0.05,
                 per_column: dict[str, dict[str, Any]] | None = None, drift_share: float = 0.5,
                 persist_windows: int = 2, predictions: bool = True, psi_bins: int = 10,
                 min_rows: int = 50) -> None:
        self.columns = columns
        self.small_sample = small_sample
        self.numeric_method = numeric_method
        self.categorical_method = categorical_method
        self.thresholds = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
        self.alpha = alpha
        self.per_column = per_column or {}
        self.drift_share = drift_share
        self.persist_windows = max(int(persist_windows), 1)
        self.predictions = predictions
        self.psi_bins = psi_bins
        self.min_rows = min_rows
        for col, spec in self.per_column.items():
            m = spec.get("method")
            if m is not None and m not in METHODS:
                raise MlbpError("unknown drift method", key=f"monitor.drift.per_column.{col}.method",
                                expected=sorted(METHODS), got=m)
        for key, m in (("numeric_method", numeric_method), ("categorical_method", categorical_method)):
            allowed = NUMERIC_METHODS if key.startswith("numeric") else CATEGORICAL_METHODS
            if m != "auto" and m not in allowed:
                raise MlbpError("unknown drift method", key=f"monitor.drift.{key}", expected=["auto", *allowed], got=m)

    # -- the statistics, usable without a log (the benchmark calls this) -------------------
    def compare(self, profile: dict[str, Any], current: pd.DataFrame) -> dict[str, dict[str, Any]]:
        """Per column: method, score, threshold, p-values (raw and BH-adjusted), drifted."""
        cols = [c for c in (self.columns or list(profile["columns"])) if c in profile["columns"]]
        out: dict[str, dict[str, Any]] = {}
        for col in cols:
            ref = profile["columns"][col]
            if col not in current.columns:
                out[col] = {"method": None, "drifted": False, "missing": True}
                continue
            values = current[col]
            spec = self.per_column.get(col, {})
            kind = "categorical" if ref.get("kind") != "numeric" or "values" in ref else "numeric"
            n = int(values.notna().sum())
            method = spec.get("method") or choose_method(kind, n, self.small_sample, self.numeric_method,
                                                         self.categorical_method)
            allowed = NUMERIC_METHODS if kind == "numeric" else CATEGORICAL_METHODS
            if method not in allowed:
                raise MlbpError(f"drift method '{method}' does not apply to {kind} column '{col}'",
                                key=f"monitor.drift.per_column.{col}.method", expected=list(allowed), got=method)
            _, scores = column_scores(ref, values, method, self.psi_bins)
            stat_key, p_key = METHODS[method]
            score = scores.get(stat_key)
            threshold = float(spec.get("threshold", self.thresholds[method]))
            floor = scores.get(NOISE_FLOOR.get(stat_key, ""))
            out[col] = {"method": method, "kind": kind, "score": score, "n": scores.get("n", 0),
                        "threshold": threshold, "pvalue": scores.get(p_key) if p_key else None, "scores": scores}
            if floor is not None and floor > threshold:  # below sampling noise no distance means drift
                out[col] |= {"threshold": floor, "configured_threshold": threshold,
                             "threshold_reason": "the distance two samples of this size show without drift"}
        tested = [c for c in out if out[c].get("pvalue") is not None]
        for c, adj in zip(tested, benjamini_hochberg([out[c]["pvalue"] for c in tested]), strict=True):
            out[c]["pvalue_bh"] = adj
        for r in out.values():
            if r.get("missing"):
                continue
            if r["score"] is None or r["n"] < self.min_rows:
                r["drifted"] = False
                continue
            if r["method"] in ("ks", "chisquare"):  # a test needs significance *and* an effect of `threshold`
                r["drifted"] = bool(r["pvalue_bh"] < self.alpha and r["score"] >= r["threshold"])
            else:
                r["drifted"] = bool(r["score"] >= r["threshold"])
        return out

    # -- the monitor protocol -----------------------------------------------------------------
    def run(self, window: Window) -> dict[str, Any]:
        served = window.served
        features = self.compare(window.profile, window.inputs(served)) if len(served) else {}
        result: dict[str, Any] = {"rows": len(served), "columns": features}
        if self.predictions and len(served):
            result["predictions"] = self._prediction_drift(window, served)
        drifted = [c for c, r in features.items() if r.get("drifted")]
        judged = [c for c, r in features.items() if not r.get("missing")]
        history = self._update_history(window, {c: r.get("drifted", False) for c, r in features.items()},
                                       {c: r.get("score") for c, r in features.items()})
        persistent = [c for c in judged if self._streak(history, c) >= self.persist_windows]
        share = len(drifted) / len(judged) if judged else 0.0
        result |= {
            "drifted_columns": drifted,
            "drifted_share": share,
            "dataset_drift": bool(judged) and share >= self.drift_share,
            "persistent_columns": persistent,
            "persistent_share": len(persistent) / len(judged) if judged else 0.0,
            "persist_windows": self.persist_windows,
            "alert": bool(persistent),
            "history": history[-50:],
        }
        pred = result.get("predictions", {})
        result["prediction_drift"] = any(r.get("drifted") for r in pred.get("columns", {}).values())
        return result

    def _prediction_drift(self, window: Window, served: pd.DataFrame) -> dict[str, Any]:
        """Outputs vs the bundle's prediction profile if it has one, else vs the first window monitored
        after deployment (saved in the state folder, so later windows compare to it)."""
        version = window.manifest.get("version")
        if version is not None and "version" in served.columns:  # outputs of *this* model version only
            served = served[served["version"].astype(str) == str(version)]
        outputs = window.outputs(served)
        if outputs.empty or not len(outputs):
            return {"baseline": "none"}
        ref = window.profile.get("predictions")
        source = "bundle"
        if ref is None and window.state_dir is not None:
            path = Path(window.state_dir) / f"prediction_reference_v{window.manifest.get('version', 'x')}.json"
            if path.exists():
                ref, source = json.loads(path.read_text()), "first_window"
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(profile_frame(outputs)))
                return {"baseline": "set_from_this_window", "rows": len(outputs)}
        if ref is None:
            return {"baseline": "none"}
        sub = DriftMonitor(small_sample=self.small_sample, thresholds=self.thresholds, alpha=self.alpha,
                           per_column=self.per_column, min_rows=self.min_rows)
        return {"baseline": source, "columns": sub.compare(ref, outputs)}

    def _update_history(self, window: Window, drifted: dict[str, bool],
                        scores: dict[str, float | None]) -> list[dict[str, Any]]:
        entry = {"window": window.id, "start": window.start, "end": window.end, "drifted": drifted,
                 "scores": scores}
        if window.state_dir is None:
            return [entry]
        path = Path(window.state_dir) / "drift_history.json"
        history = json.loads(path.read_text()) if path.exists() else []
        history = [h for h in history if h["window"] != window.id] + [entry]  # re-running a window replaces it
        history.sort(key=lambda h: h["end"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(history[-500:], default=float))
        return history

    @staticmethod
    def _streak(history: list[dict[str, Any]], col: str) -> int:
        n = 0
        for h in reversed(history):
            if not h["drifted"].get(col):
                break
            n += 1
        return n
