"""Blessing: absolute thresholds per criterion, and "must beat the current champion by at least X
on the holdout" once a champion exists. Every failed rule is named, so a report can say why.

YAML (conf/evaluation)::

    thresholds:                 # {criterion: {min: x}} or {criterion: {max: y}}
      roc_auc: {min: 0.65}
      ece: {max: 0.05}
      latency_p99_ms: {max: 50}
    champion:
      compare: true             # once a champion exists, the candidate must beat it
      min_improvement: 0.0      # on the primary metric, on *this* holdout
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from mlbp.engine.errors import MlbpError

# criteria a threshold may name besides the task's holdout metrics (see `criteria`)
DERIVED = ("cv_std", "seed_std", "degradation", "ece", "latency_p50_ms", "latency_p99_ms", "batch_rows_per_s",
           "model_size_mb", "train_seconds", "worst_slice", "profit_at_threshold", "uplift_vs_all",
           "uplift_vs_none", "total", "min_class_recall")
# criteria that only mean something when the holdout lies after the training rows (a time split)
OUT_OF_TIME = ("degradation",)
METRICS = ("roc_auc", "pr_auc", "log_loss", "brier", "positive_rate", "roc_auc_ovr", "accuracy", "macro_f1",
           "rmse", "mae", "r2", "nrmse", "nmae")


def criteria(card: dict[str, Any]) -> dict[str, float | None]:
    """A flat view of the scorecard: one number per criterion a blessing rule may name."""
    primary = card.get("primary_metric")
    cv = (card.get("cv") or {}).get("summary", {}).get(primary, {})
    serving = card.get("serving") or {}
    business = card.get("business") or {}
    worst = (card.get("slices") or {}).get("worst") or {}
    flat: dict[str, float | None] = dict(card.get("holdout") or {})
    flat |= {f"cv_{m}": s.get("mean") for m, s in (card.get("cv") or {}).get("summary", {}).items()}
    flat |= {
        "cv_std": _per_unit(cv.get("std_folds"), card), "seed_std": _per_unit(cv.get("std_seeds"), card),
        "degradation": (card.get("degradation") or {}).get("drop"),
        "ece": (card.get("calibration") or {}).get("ece"),
        "latency_p50_ms": serving.get("latency_p50_ms"), "latency_p99_ms": serving.get("latency_p99_ms"),
        "batch_rows_per_s": serving.get("batch_rows_per_s"), "model_size_mb": serving.get("model_size_mb"),
        "train_seconds": card.get("train_seconds"), "worst_slice": worst.get(primary) if primary else None,
        "profit_at_threshold": business.get("profit_at_threshold"), "uplift_vs_all": business.get("uplift_vs_all"),
        "uplift_vs_none": business.get("profit_at_threshold"), "total": card.get("total"),
        "min_class_recall": ((card.get("per_class") or {}).get("worst_recall") or {}).get("recall"),
    }
    return flat


def _per_unit(value: float | None, card: dict[str, Any]) -> float | None:
    """A regression error's spread in standard deviations of the training target."""
    unit = (card.get("target_scale") or {}).get("std")
    return value / unit if value is not None and unit else value


def bless(values: dict[str, Any], thresholds: dict[str, dict[str, float]] | None,
          unmeasurable: dict[str, str] | None = None) -> tuple[bool, list[str]]:
    """Absolute rules {criterion: {min: x} | {max: y}} against a flat criteria dict; returns failed rules.

    A criterion nobody could measure fails ("not measured"), except one that *cannot* be measured
    under this evaluation (`unmeasurable`: criterion -> why, e.g. degradation on a random split),
    which is reported beside the verdict instead of blocking it; a name that is no criterion at all
    is a config error naming the close matches, so a typo never silently passes.
    """
    failed = []
    known = set(values) | set(DERIVED) | set(METRICS) | {f"cv_{m}" for m in METRICS}
    for name, rule in (thresholds or {}).items():
        if name not in known:
            near = difflib.get_close_matches(name, sorted(known), n=1)
            raise MlbpError(f"unknown blessing criterion '{name}'" + (f"; did you mean '{near[0]}'?" if near else ""),
                            key=f"evaluation.thresholds.{name}", expected=sorted(known), got=name)
        if not isinstance(rule, dict) or not set(rule) <= {"min", "max"} or not rule:
            raise MlbpError("a blessing rule is {min: x} and/or {max: y}", key=f"evaluation.thresholds.{name}",
                            expected="{min: number} | {max: number}", got=rule)
        if name in (unmeasurable or {}):
            continue
        value = values.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            failed.append(f"{name}: not measured")
            continue
        if "min" in rule and value < rule["min"]:
            failed.append(f"{name} = {value:.4f} < min {rule['min']}")
        if "max" in rule and value > rule["max"]:
            failed.append(f"{name} = {value:.4f} > max {rule['max']}")
    return not failed, failed


def champion_rule(candidate: float | None, champion: dict[str, Any] | None, metric: str, higher_is_better: bool,
                  min_improvement: float) -> tuple[dict[str, Any] | None, str | None]:
    """Compare with the champion's score on the same holdout. Returns (comparison, failed rule or None)."""
    if not champion or champion.get(metric) is None:
        return None, None
    champ = float(champion[metric])
    if candidate is None or math.isnan(candidate):
        return {"champion": champ}, f"beats champion: {metric} not measured"
    gain = candidate - champ if higher_is_better else champ - candidate
    comparison = {"version": champion.get("version"), "metric": metric, "champion": round(champ, 6),
                  "candidate": round(candidate, 6), "improvement": round(gain, 6),
                  "min_improvement": min_improvement, "scored_on": champion.get("scored_on")}
    if gain < min_improvement:
        return comparison, (f"must beat champion v{champion.get('version')} ({metric} {champ:.4f}) by at least "
                            f"{min_improvement}: improvement {gain:+.4f}")
    return comparison, None
