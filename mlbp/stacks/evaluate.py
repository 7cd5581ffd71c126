"""The evaluate stage: score the fitted stack on the holdout and judge it against the thresholds."""

from __future__ import annotations

from typing import Any, ClassVar

import joblib
import numpy as np

from mlbp.engine.stage import Stage, StageContext
from mlbp.io import read_frame, read_json, write_json
from mlbp.stacks.business import business_summary, row_values
from mlbp.stacks.features import to_model_frame
from mlbp.stacks.metrics import PRIMARY, score_model


def bless(holdout: dict[str, float], thresholds: dict[str, dict[str, float]]) -> tuple[bool, list[str]]:
    """Absolute thresholds per metric: {metric: {min: x}} or {metric: {max: y}}. Returns failed rules."""
    failed = []
    for metric, rule in (thresholds or {}).items():
        value = holdout.get(metric)
        if value is None or np.isnan(value):
            failed.append(f"{metric}: not measured")
            continue
        if "min" in rule and value < rule["min"]:
            failed.append(f"{metric} = {value:.4f} < min {rule['min']}")
        if "max" in rule and value > rule["max"]:
            failed.append(f"{metric} = {value:.4f} > max {rule['max']}")
    return not failed, failed


class Evaluate(Stage):
    """Makes `scorecard` (scorecard.json) from `model` and `holdout`."""

    needs: ClassVar[tuple[str, ...]] = ("model", "holdout")
    makes: ClassVar[tuple[str, ...]] = ("scorecard",)

    def __init__(self, target: str, task: str = "binary", business: dict[str, Any] | None = None,
                 thresholds: dict[str, dict[str, float]] | None = None) -> None:
        self.target = target
        self.task = task
        self.business = business or {}
        self.thresholds = thresholds or {}

    def run(self, ctx: StageContext) -> None:
        model = joblib.load(ctx.input("model") / "model.joblib")
        info = read_json(ctx.input("model"), "model.json")
        df = read_frame(ctx.input("holdout"))
        X = to_model_frame(df, info["numeric"], info["categorical"])
        y = df[self.target].to_numpy()
        metrics, scores = score_model(model, X, y.astype("int64") if self.task != "regression" else y, self.task)
        card: dict[str, Any] = {"stack": info["stack"], "task": self.task, "holdout": metrics,
                                "holdout_rows": len(df)}
        if self.task == "binary" and self.business:
            v_pos, v_neg = row_values(df, self.business)
            card["business"] = business_summary(y.astype("int64"), scores, v_pos, v_neg)
            card["threshold"] = card["business"]["threshold"]
        elif self.task == "binary":
            card["threshold"] = 0.5
        blessed, failed = bless(metrics, self.thresholds)
        primary, higher = PRIMARY[self.task]
        card |= {"primary_metric": primary, "higher_is_better": higher, "primary": metrics.get(primary),
                 "blessed": blessed, "failed_rules": failed}
        write_json(card, ctx.output("scorecard"), "scorecard.json")
        ctx.note(**{primary: round(metrics.get(primary, float("nan")), 4), "blessed": blessed})
