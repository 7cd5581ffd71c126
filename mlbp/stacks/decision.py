"""The decision threshold of a binary model when no business values say what acting is worth.

A probability becomes "positive" at a threshold. 0.5 is no rule: with 5% positives a model flags
almost nobody (9 of 9,857 rows in one real table). So the threshold is chosen by a stated rule,
on out-of-fold scores of the training window (never the holdout), and the scorecard records the
rule, the value and what it does on the holdout:

    f1         the threshold with the best F1 on out-of-fold scores (the default): balances the
               positives found against the false alarms, whatever the base rate
    base_rate  flag as many rows as the training window's positive rate
    fixed      `fixed` (e.g. 0.5), for a model whose probabilities are used as they are

Business values, when configured, decide instead (the most profitable threshold, mlbp.stacks.business).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlbp.engine.errors import MlbpError

if TYPE_CHECKING:
    import numpy as np

RULES = ("f1", "base_rate", "fixed")


def check_decision(decision: dict[str, Any]) -> None:
    rule = decision.get("rule", "f1")
    if rule not in RULES:
        raise MlbpError("unknown decision rule", key="evaluation.decision.rule", expected=" | ".join(RULES), got=rule)
    fixed = decision.get("fixed", 0.5)
    if not isinstance(fixed, int | float) or isinstance(fixed, bool) or not 0 < fixed < 1:
        raise MlbpError("a fixed threshold is a probability strictly between 0 and 1",
                        key="evaluation.decision.fixed", expected="0 < fixed < 1", got=fixed)


def choose_threshold(decision: dict[str, Any], y: np.ndarray, scores: np.ndarray) -> tuple[float, str]:
    """(threshold, how it was chosen) from out-of-fold labels (0/1) and scores."""
    import numpy as np

    check_decision(decision)
    rule = decision.get("rule", "f1")
    y = np.asarray(y, dtype=int)
    scores = np.asarray(scores, dtype=float)
    if rule == "fixed" or y.min(initial=0) == y.max(initial=0):
        t = float(decision.get("fixed", 0.5))
        return t, f"fixed at {t:g}" + ("" if rule == "fixed" else " (out-of-fold labels hold one class)")
    if rule == "base_rate":
        rate = float(y.mean())
        t = float(np.quantile(scores, 1 - rate))
        return t, f"flags the top {rate:.1%} of scores, the training window's positive rate"
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y, scores)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)[:-1]
    best = int(np.argmax(f1))
    return float(thresholds[best]), f"F1-optimal on out-of-fold scores (F1 {f1[best]:.3f})"


def decision_report(rule: str, threshold: float, how: str, y_holdout: np.ndarray, scores: np.ndarray
                    ) -> dict[str, Any]:
    """What the scorecard shows: the rule, the threshold, and what it does on the holdout."""
    import numpy as np

    flagged = int(np.sum(np.asarray(scores) >= threshold))
    actual = int(np.sum(np.asarray(y_holdout) == 1))
    return {"rule": rule, "threshold": threshold, "how": how,
            "chosen_on": "out-of-fold scores of the training window",
            "holdout_predicted_positives": flagged, "holdout_actual_positives": actual,
            "predicted_to_actual": round(flagged / actual, 4) if actual else None}
