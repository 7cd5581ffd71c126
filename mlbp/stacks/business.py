"""Business value of acting on a model: per-row value columns from config, profit by threshold.

YAML (conf/evaluation)::

    business:
      if_positive: {add: [margin_if_redeemed], subtract: [discount_cost]}  # acted on, outcome positive
      per_action: {subtract: [send_cost]}                                   # every action costs this
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlbp.engine.errors import MlbpError, Reason


def _signed_sum(df: pd.DataFrame, spec: dict[str, list[str]] | None, key: str) -> np.ndarray:
    total = np.zeros(len(df))
    for sign, cols in (("add", 1.0), ("subtract", -1.0)):
        for col in (spec or {}).get(sign, []) or []:
            if col not in df.columns:
                raise MlbpError(f"business value column '{col}' is not in the data", reason=Reason.CONFIG,
                                key=f"{key}.{sign}", expected=list(df.columns), got=col)
            total += cols * pd.to_numeric(df[col], errors="coerce").fillna(0.0).to_numpy()
    return total


def row_values(df: pd.DataFrame, business: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(value if acted and positive, value if acted and negative) for each row."""
    action = _signed_sum(df, business.get("per_action"), "evaluation.business.per_action")
    positive = _signed_sum(df, business.get("if_positive"), "evaluation.business.if_positive")
    return positive + action, action


def value_columns(business: dict[str, Any]) -> list[str]:
    cols: list[str] = []
    for part in ("if_positive", "per_action"):
        for sign in ("add", "subtract"):
            cols += (business.get(part) or {}).get(sign, []) or []
    return cols


def profit_curve(y: np.ndarray, score: np.ndarray, v_pos: np.ndarray, v_neg: np.ndarray) -> pd.DataFrame:
    """Profit of acting on everyone scoring >= each threshold, vectorized over sorted scores."""
    order = np.argsort(-score, kind="stable")
    s, gain = score[order], np.where(y[order] == 1, v_pos[order], v_neg[order])
    cum = np.cumsum(gain)
    # one point per distinct score (the last row of each tie block)
    last = np.r_[s[1:] != s[:-1], True]
    n = np.arange(1, len(s) + 1)[last]
    return pd.DataFrame({"threshold": s[last], "acted": n, "share": n / len(s), "profit": cum[last]})


def business_summary(y: np.ndarray, score: np.ndarray, v_pos: np.ndarray, v_neg: np.ndarray,
                     top_k: tuple[float, ...] = (0.05, 0.1, 0.2)) -> dict[str, Any]:
    curve = profit_curve(y, score, v_pos, v_neg)
    best = curve.loc[curve["profit"].idxmax()]
    everyone = float(np.where(y == 1, v_pos, v_neg).sum())
    base_rate = float(np.mean(y)) if len(y) else 0.0
    order = np.argsort(-score, kind="stable")
    lift = {}
    for k in top_k:
        m = max(1, int(len(y) * k))
        lift[f"top_{int(k * 100)}pct"] = round(float(np.mean(y[order[:m]])) / base_rate, 4) if base_rate else None
    return {
        "threshold": float(best["threshold"]),
        "profit_at_threshold": round(float(best["profit"]), 2),
        "acted_share": round(float(best["share"]), 4),
        "profit_act_on_all": round(everyone, 2),
        "profit_act_on_none": 0.0,
        "uplift_vs_all": round(float(best["profit"]) - everyone, 2),
        "profit_per_1000_rows": round(1000 * float(best["profit"]) / max(len(y), 1), 2),
        "lift": lift,
    }
