"""The weighted total that ranks candidates: each criterion mapped to a [0, 1] sub-score, then a
weighted mean over the criteria that were measured (weights from conf/evaluation).

    validity     the task's quality metric on the holdout: ROC AUC and one-vs-rest AUC rescaled so
                 0.5 (chance) -> 0 and 1 -> 1; R2 clipped at 0
    stability    1 - min(1, fold spread of the primary metric / scales.stability); a regression
                 error's spread is in standard deviations of the training target, so a target in
                 dollars and the same target in cents score alike
    business     share of the best achievable holdout profit captured at the saved threshold
    robustness   1 - min(1, degradation (CV -> holdout drop) / scales.degradation)
    calibration  1 - min(1, ECE / scales.ece)
    serving      min(1, scales.latency_p99_ms / measured p99)
    size         min(1, scales.model_size_mb / measured size)
    slices       worst slice quality / overall quality, clipped to [0, 1]
"""

from __future__ import annotations

import math
from typing import Any

DEFAULT_SCALES = {"stability": 0.02, "degradation": 0.05, "ece": 0.1, "latency_p99_ms": 200.0, "model_size_mb": 50.0}


def _clip(x: float) -> float:
    return max(0.0, min(1.0, x))


def subscores(card: dict[str, Any], quality_metric: str, scales: dict[str, float] | None = None
              ) -> dict[str, float | None]:
    s = DEFAULT_SCALES | (scales or {})
    primary = card["primary_metric"]
    quality = (card.get("holdout") or {}).get(quality_metric)
    cv = ((card.get("cv") or {}).get("summary") or {}).get(primary) or {}
    business = card.get("business") or {}
    serving = card.get("serving") or {}
    worst = ((card.get("slices") or {}).get("worst") or {})
    out: dict[str, float | None] = {}
    if quality is None or math.isnan(quality):
        out["validity"] = None
    else:
        out["validity"] = _clip(2 * quality - 1) if quality_metric.startswith("roc_auc") else _clip(quality)
    unit = (card.get("target_scale") or {}).get("std") or 1.0  # regression errors: in target std units
    out["stability"] = None if cv.get("std_folds") is None else _clip(1 - cv["std_folds"] / unit / s["stability"])
    best = business.get("profit_best_possible")
    out["business"] = (None if not best or best <= 0 or business.get("profit_at_threshold") is None
                       else _clip(business["profit_at_threshold"] / best))
    drop = (card.get("degradation") or {}).get("drop")
    out["robustness"] = None if drop is None else _clip(1 - max(drop, 0.0) / s["degradation"])
    ece = (card.get("calibration") or {}).get("ece")
    out["calibration"] = None if ece is None else _clip(1 - ece / s["ece"])
    p99 = serving.get("latency_p99_ms")
    out["serving"] = None if not p99 else _clip(s["latency_p99_ms"] / p99)
    size = serving.get("model_size_mb")
    out["size"] = None if not size else _clip(s["model_size_mb"] / size)
    worst_q = worst.get(primary) if primary == quality_metric else None
    out["slices"] = None if worst_q is None or not quality else _clip(worst_q / quality)
    return out


def weighted_total(sub: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """Weighted mean over measured criteria; None if nothing with a weight was measured."""
    num = den = 0.0
    for k, w in (weights or {}).items():
        v = sub.get(k)
        if v is None or not w:
            continue
        num += w * v
        den += w
    return round(num / den, 6) if den else None
