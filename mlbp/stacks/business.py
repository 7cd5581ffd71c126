"""Business value of acting on a model: per-row value columns from config, profit by threshold.

YAML (conf/evaluation)::

    business:
      if_positive: {add: [margin_if_redeemed], subtract: [discount_cost]}  # acted on, outcome positive
      per_action: {subtract: [send_cost]}                                   # every action costs this
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlbp.engine.errors import MlbpError, Reason

if TYPE_CHECKING:
    import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def _signed_sum(df: pd.DataFrame, spec: dict[str, list[str]] | None, key: str) -> np.ndarray:
    import numpy as np
    import pandas as pd

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
    import numpy as np
    import pandas as pd

    order = np.argsort(-score, kind="stable")
    s, gain = score[order], np.where(y[order] == 1, v_pos[order], v_neg[order])
    cum = np.cumsum(gain)
    # one point per distinct score (the last row of each tie block)
    last = np.r_[s[1:] != s[:-1], True]
    n = np.arange(1, len(s) + 1)[last]
    return pd.DataFrame({"threshold": s[last], "acted": n, "share": n / len(s), "profit": cum[last]})


def profit_at(y: np.ndarray, score: np.ndarray, v_pos: np.ndarray, v_neg: np.ndarray, threshold: float) -> float:
    """Profit of acting on every row scoring >= threshold."""
    import numpy as np

    act = score >= threshold
    return float(np.where(y[act] == 1, v_pos[act], v_neg[act]).sum())


def best_threshold(y: np.ndarray, score: np.ndarray, v_pos: np.ndarray, v_neg: np.ndarray) -> float:
    """The threshold with the highest profit (acting on no one is allowed: +inf then)."""
    curve = profit_curve(y, score, v_pos, v_neg)
    best = curve.loc[curve["profit"].idxmax()]
    return float(best["threshold"]) if float(best["profit"]) > 0 else float("inf")


def lift_curve(y: np.ndarray, score: np.ndarray, points: int = 50) -> pd.DataFrame:
    """Positive rate in the top share of rows / the overall positive rate, at `points` shares."""
    import numpy as np
    import pandas as pd

    order = np.argsort(-score, kind="stable")
    base = float(np.mean(y)) if len(y) else 0.0
    cum = np.cumsum(y[order])
    shares = np.linspace(1 / points, 1.0, points)
    n = np.maximum(1, (shares * len(y)).astype(int))
    return pd.DataFrame({"share": shares, "lift": (cum[n - 1] / n) / base if base else np.nan})


def business_summary(y: np.ndarray, score: np.ndarray, v_pos: np.ndarray, v_neg: np.ndarray,
                     top_k: tuple[float, ...] = (0.05, 0.1, 0.2), threshold: float | None = None) -> dict[str, Any]:
    """Profit at `threshold` (chosen elsewhere, e.g. on out-of-fold scores) or, if None, at the best
    threshold of these rows; always also the best achievable on these rows and acting on all / none."""
    import numpy as np

    curve = profit_curve(y, score, v_pos, v_neg)
    best = curve.loc[curve["profit"].idxmax()]
    best_profit = max(float(best["profit"]), 0.0)  # acting on no one earns 0
    if threshold is None:
        threshold = float(best["threshold"]) if float(best["profit"]) > 0 else float("inf")
    profit = profit_at(y, score, v_pos, v_neg, threshold)
    acted = float(np.mean(score >= threshold)) if len(y) else 0.0
    everyone = float(np.where(y == 1, v_pos, v_neg).sum())
    base_rate = float(np.mean(y)) if len(y) else 0.0
    order = np.argsort(-score, kind="stable")
    lift = {}
    for k in top_k:
        m = max(1, int(len(y) * k))
        lift[f"top_{int(k * 100)}pct"] = round(float(np.mean(y[order[:m]])) / base_rate, 4) if base_rate else None
    return {
        "threshold": float(threshold) if np.isfinite(threshold) else 1.0,
        "profit_at_threshold": round(profit, 2),
        "acted_share": round(acted, 4),
        "profit_best_possible": round(best_profit, 2),
        "best_threshold_here": float(best["threshold"]),
        "profit_act_on_all": round(everyone, 2),
        "profit_act_on_none": 0.0,
        "uplift_vs_all": round(profit - everyone, 2),
        "uplift_vs_none": round(profit, 2),
        "profit_per_1000_rows": round(1000 * profit / max(len(y), 1), 2),
        "lift": lift,
    }
