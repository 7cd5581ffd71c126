"""The evaluate stage: the multi-criteria scorecard of one candidate stack.

Every candidate is measured the same way (same folds, same seeds, same holdout):
validity (CV on the training window + time-based holdout), stability (spread across folds and
seeds), business value (profit at a threshold chosen on out-of-fold scores, versus acting on all
or none; lift), degradation (holdout vs CV), calibration (reliability, ECE, what recalibration
would buy), serving readiness (latency, throughput, size, training time), slices (worst flagged).
A weighted total ranks candidates; blessing rules (absolute thresholds and "beat the champion")
decide whether it may be promoted, and every failed rule is named in `failed_rules`.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, ClassVar

from mlbp.data.labels import Labels
from mlbp.engine.errors import MlbpError
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import read_frame, read_json, write_json
from mlbp.stacks.blessing import OUT_OF_TIME, bless, champion_rule, criteria
from mlbp.stacks.business import business_summary, lift_curve, profit_curve, row_values
from mlbp.stacks.features import to_model_frame
from mlbp.stacks.metrics import PRIMARY, QUALITY, score_model
from mlbp.stacks.total import DEFAULT_SCALES, subscores, weighted_total

if TYPE_CHECKING:
    import numpy as np

    from mlbp.stacks.splits import SplitStrategy

DEFAULT_SCORECARD: dict[str, Any] = {
    "cv": {"folds": 3, "seeds": [1, 2], "max_rows": None},
    "weights": {"validity": 4, "stability": 1, "business": 3, "robustness": 1, "calibration": 1, "serving": 1,
                "size": 0.5, "slices": 1},
    "scales": DEFAULT_SCALES,
    "calibration": {"bins": 10, "recalibrate_what_if": "isotonic"},
    "slices": {"columns": [], "min_rows": 50},
    "serving": {"latency_rows": 100, "batch_rows": 5000},
    "importance": {"rows": 2000, "repeats": 2},
    "lift_top_k": [0.05, 0.1, 0.2],
    "plots": True,
}


def _made_with(ctx: StageContext, slot: str, fact: str) -> Any:
    """A fact the stage that made input `slot` noted in the run manifest (cached stages keep theirs)."""
    made = ctx.input(slot).name  # artifact folders are named by their content hash
    for rec in (ctx.manifest.get("stages") or {}).values():
        if made in (rec.get("outputs") or {}).values():
            return (rec.get("facts") or {}).get(fact)
    return None


def _merge(base: dict[str, Any], over: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(base)
    for k, v in (over or {}).items():
        out[k] = _merge(base[k], v) if isinstance(base.get(k), dict) and isinstance(v, dict) and k != "weights" else v
    return out


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isnan(obj) or math.isinf(obj) else round(obj, 6)
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return obj


def target_scale(values: Any) -> dict[str, float]:
    """The training target's spread, the unit regression errors are scored in (std; IQR shown)."""
    import numpy as np
    import pandas as pd

    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    std = float(np.std(v)) if len(v) else 0.0
    q75, q25 = (np.percentile(v, [75, 25]) if len(v) else (0.0, 0.0))
    return {"std": std if std > 0 else 1.0, "iqr": float(q75 - q25), "mean": float(np.mean(v)) if len(v) else 0.0}


class Evaluate(Stage):
    """Makes `scorecard` (scorecard.json + PNGs) from `model`, `train` and `holdout`.

    YAML (pipeline)::

        evaluate:
          _target_: mlbp.stacks.evaluate.Evaluate
          target: ${target}
          task: ${task}
          stack: ${stack}                 # refit per fold for cross-validation
          split: ${split}                 # the split strategy: CV folds follow it (time-ordered, stratified, grouped)
          business: ${evaluation.business}
          thresholds: ${evaluation.thresholds}
          scorecard: ${evaluation.scorecard}
          champion: ${evaluation.champion}
          registry: {name: ${project}, db: ${registry.db}, root: ${registry.root}}
    """

    needs: ClassVar[tuple[str, ...]] = ("model", "train", "holdout")
    makes: ClassVar[tuple[str, ...]] = ("scorecard",)
    build_later: ClassVar[tuple[str, ...]] = ("stack",)

    def __init__(self, target: str, task: str = "binary", stack: dict[str, Any] | None = None,
                 exclude: list[str] | None = None, seed: int = 0, business: dict[str, Any] | None = None,
                 thresholds: dict[str, dict[str, float]] | None = None, scorecard: dict[str, Any] | None = None,
                 champion: dict[str, Any] | None = None, registry: dict[str, str] | None = None,
                 split: SplitStrategy | None = None, decision: dict[str, Any] | None = None) -> None:
        self.target = target
        self.decision = dict(decision or {"rule": "f1"})
        self.split = split
        self.task = task
        self.stack = stack or {}
        self.exclude = exclude or []
        self.seed = seed
        self.business = business or {}
        self.thresholds = thresholds or {}
        self.scorecard = scorecard or {}
        self.champion = champion or {}
        self.registry = registry or {}

    def external_state(self) -> Any:
        """The champion the scorecard is judged against is an input: its version and bundle hash
        join the fingerprint, so after a promotion a re-run (and every sweep job) compares against
        the new champion instead of reusing a scorecard blessed against the old one."""
        if not self.champion.get("compare", True) or not self.registry.get("db"):
            return None
        from mlbp.stacks.champion import current_champion

        return {"champion": current_champion(self.registry["name"], self.registry["db"], self.registry["root"])}

    def settings(self) -> dict[str, Any]:
        s = _merge(DEFAULT_SCORECARD, self.scorecard)
        unknown = set(s["weights"]) - {"validity", "stability", "business", "robustness", "calibration", "serving",
                                       "size", "slices"}
        if unknown:
            raise MlbpError(f"unknown scorecard weight(s) {sorted(unknown)}", key="evaluation.scorecard.weights",
                            expected="validity | stability | business | robustness | calibration | serving | size "
                                     "| slices", got=sorted(unknown))
        if int(s["cv"]["folds"]) < 2 or not s["cv"]["seeds"]:
            raise MlbpError("cross-validation needs at least 2 folds and one seed", key="evaluation.scorecard.cv",
                            expected="folds >= 2, seeds: [1, 2]", got=s["cv"])
        bless({}, self.thresholds)  # a typo in a rule fails now, before minutes of cross-validation
        from mlbp.stacks.decision import check_decision

        check_decision(self.decision)
        return s

    def run(self, ctx: StageContext) -> None:
        from mlbp.stacks.build import thread_limit

        with thread_limit(self.stack):
            self._run(ctx)

    def _run(self, ctx: StageContext) -> None:
        import joblib

        from mlbp.stacks.cv import cross_validate

        s = self.settings()
        model_file = ctx.input("model") / "model.joblib"
        model = joblib.load(model_file)
        info = read_json(ctx.input("model"), "model.json")
        train = read_frame(ctx.input("train"))
        df = read_frame(ctx.input("holdout"))
        task = self.task
        primary, higher = PRIMARY[task]
        X = to_model_frame(df, info["numeric"], info["categorical"])
        labels = Labels.from_info(info) if task != "regression" else None
        y = labels.encode(df[self.target], f"holdout {self.target}") if labels else \
            df[self.target].to_numpy(dtype=float)
        holdout, scores = score_model(model, X, y, task)
        scale = target_scale(train[self.target]) if task == "regression" else None
        if scale is not None:  # errors in units of the target's spread: the same on every table
            holdout |= {"nrmse": holdout["rmse"] / scale["std"], "nmae": holdout["mae"] / scale["std"]}
        card: dict[str, Any] = {"stack": info["stack"], "task": task, "target": self.target, "holdout": holdout,
                                "holdout_rows": len(df), "train_rows": len(train), "primary_metric": primary,
                                "higher_is_better": higher, "primary": holdout.get(primary),
                                "train_seconds": info.get("train_seconds", _made_with(ctx, "model", "seconds")),
                                "threshold": None,
                                "classes": info.get("classes"), "labels": info.get("labels")}
        if scale is not None:
            card["target_scale"] = scale

        # validity + stability: the same folds and seeds for every candidate
        t0 = time.perf_counter()
        cv = cross_validate(self.stack, train, self.target, task, self.exclude, [int(x) for x in s["cv"]["seeds"]],
                            int(s["cv"]["folds"]), s["cv"].get("max_rows"), self.split, labels)
        oof, oof_y, oof_index = cv.pop("oof"), cv.pop("oof_y"), cv.pop("oof_frame_index")
        cv["seconds"] = round(time.perf_counter() - t0, 3)
        card["cv"] = cv
        cv_primary = cv["summary"].get(primary, {}).get("mean")
        unmeasurable = self._out_of_time_unmeasurable()
        if unmeasurable:  # a CV -> holdout drop on a shuffle says nothing about later data
            card["degradation"] = {"metric": primary, "drop": None, "not_measurable": unmeasurable["degradation"]}
        elif cv_primary is not None and holdout.get(primary) is not None:
            drop = cv_primary - holdout[primary] if higher else holdout[primary] - cv_primary
            card["degradation"] = {"metric": primary, "cv": cv_primary, "holdout": holdout[primary], "drop": drop,
                                   "relative": drop / abs(cv_primary) if cv_primary else None}
            if scale is not None:  # an error's drop in target units means nothing across tables: in std units
                card["degradation"] |= {"drop": drop / scale["std"], "drop_in_target_units": drop,
                                        "unit": "standard deviations of the training target"}

        plots: dict[str, Any] = {}
        if task == "binary":
            self._binary(card, s, train.loc[oof_index], oof_y, oof, df, y, scores, plots)
        if labels is not None:  # the confusion matrix and each class's recall, in the user's labels
            from mlbp.stacks.per_class import class_report

            picked = (scores >= card["threshold"]).astype("int64") if task == "binary" else scores.argmax(axis=1)
            card["per_class"] = class_report(y, picked, labels.classes)
        if s["slices"]["columns"]:
            from mlbp.stacks.slices import slice_metrics

            card["slices"] = slice_metrics(df, y, scores, task, list(s["slices"]["columns"]), primary, higher,
                                           int(s["slices"]["min_rows"]))
        from mlbp.stacks.importance import permutation_importance

        card["importance"] = permutation_importance(model, X, y, task, primary, higher,
                                                    int(s["importance"]["rows"]), int(s["importance"]["repeats"]),
                                                    self.seed)
        from mlbp.stacks.serving import serving_readiness

        card["serving"] = serving_readiness(model_file, info, df, card["threshold"],
                                            int(s["serving"]["latency_rows"]), int(s["serving"]["batch_rows"]))

        card["subscores"] = subscores(card, QUALITY[task], s["scales"])
        card["weights"] = s["weights"]
        card["total"] = weighted_total(card["subscores"], s["weights"])
        values = criteria(card)
        blessed, failed = bless(values, self.thresholds, unmeasurable)
        card["criteria"] = values
        card["not_measurable"] = {k: why for k, why in unmeasurable.items() if k in self.thresholds}
        self._champion(card, df, failed, ctx.run_dir)
        card["blessed"] = not failed
        card["failed_rules"] = failed
        card = _round(card)
        out = ctx.output("scorecard")
        if s["plots"]:
            card["plots"] = self._plots(out, card, df, y, scores, plots)
        write_json(card, out, "scorecard.json")
        ctx.note(**{primary: round(holdout.get(primary, float("nan")), 4), "total": card["total"],
                    "blessed": card["blessed"], "failed": len(failed)})

    def _out_of_time_unmeasurable(self) -> dict[str, str]:
        """Criteria that need a holdout later than the training rows, when the split has no time order."""
        if self.split is None or self.split.ordered:
            return {}
        why = (f"not measurable without a time order: the {self.split.name} split's holdout is not later than "
               "the training rows")
        return dict.fromkeys(OUT_OF_TIME, why)

    def _binary(self, card: dict[str, Any], s: dict[str, Any], train_rows: Any, oof_y: np.ndarray,
                oof: np.ndarray, df: Any, y: np.ndarray, scores: np.ndarray, plots: dict[str, Any]) -> None:
        from mlbp.stacks.business import best_threshold
        from mlbp.stacks.calibration import recalibrated_ece, reliability
        from mlbp.stacks.decision import choose_threshold, decision_report

        if self.business:
            tv_pos, tv_neg = row_values(train_rows, self.business)
            threshold = best_threshold(oof_y, oof, tv_pos, tv_neg)  # chosen without looking at the holdout
            v_pos, v_neg = row_values(df, self.business)
            card["business"] = business_summary(y, scores, v_pos, v_neg, tuple(s["lift_top_k"]), threshold)
            card["business"]["threshold_chosen_on"] = "out-of-fold scores of the training window"
            card["threshold"] = card["business"]["threshold"]
            curve = profit_curve(y, scores, v_pos, v_neg)
            step = max(1, len(curve) // 200)
            card["profit_curve"] = curve.iloc[::step][["share", "profit"]].to_dict("list")
            plots["profit"] = (curve, card["threshold"], card["business"]["profit_act_on_all"])
            card["decision"] = decision_report("business", card["threshold"],
                                               "the most profitable threshold with the configured business values",
                                               y, scores)
        else:
            threshold, how = choose_threshold(self.decision, oof_y, oof)
            card["threshold"] = threshold
            card["decision"] = decision_report(self.decision.get("rule", "f1"), threshold, how, y, scores)
        lift = lift_curve(y, scores)
        card["lift_curve"] = lift.to_dict("list")
        plots["lift"] = lift
        bins = int(s["calibration"]["bins"])
        cal = reliability(y, scores, bins)
        what_if = s["calibration"].get("recalibrate_what_if")
        if what_if:
            cal["recalibrated_ece"] = recalibrated_ece(oof_y, oof, y, scores, what_if, bins)
            cal["recalibration_method"] = what_if
        cal["method"] = self.stack.get("calibration")
        card["calibration"] = cal

    def _champion(self, card: dict[str, Any], df: Any, failed: list[str], run_dir: Any) -> None:
        if not self.champion.get("compare", True) or not self.registry.get("db"):
            return
        from mlbp.stacks.champion import champion_scores, sweep_started

        champ = champion_scores(self.registry["name"], self.registry["db"], self.registry["root"], df, self.target,
                                self.task, created_before=sweep_started(run_dir))
        metric = self.champion.get("metric") or card["primary_metric"]
        higher = PRIMARY[self.task][1] if metric == card["primary_metric"] else self.champion.get("higher_is_better",
                                                                                                  True)
        comparison, rule = champion_rule(card["holdout"].get(metric), champ, metric, higher,
                                         float(self.champion.get("min_improvement", 0.0)))
        card["champion"] = comparison
        if rule:
            failed.append(rule)

    def _plots(self, out: Any, card: dict[str, Any], df: Any, y: np.ndarray, scores: np.ndarray,
               extra: dict[str, Any]) -> list[str]:

        from mlbp.stacks import plots

        made = []
        task = card["task"]
        report = card.get("per_class") or {}
        if task == "binary":
            t = card["threshold"]
            made.append(plots.confusion(out, report["matrix"], report["labels"], f"holdout at threshold {t:.3f}"))
            if "profit" in extra:
                made.append(plots.profit(out, *extra["profit"]))
            made.append(plots.lift(out, extra["lift"]))
            made.append(plots.calibration(out, card["calibration"]["curve"], card["calibration"]["ece"]))
        elif task == "multiclass":
            made.append(plots.confusion(out, report["matrix"], report["labels"], "holdout (most probable class)"))
        else:
            made.append(plots.predicted_vs_actual(out, y, scores))
        if card.get("importance"):
            made.append(plots.importance(out, card["importance"], card["primary_metric"]))
        if card.get("slices", {}).get("worst"):
            made.append(plots.slices(out, card["slices"], card["primary"]))
        return made
