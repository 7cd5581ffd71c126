"""The scorecard: every field others read, for every task, measured the same way for every candidate."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import joblib
import numpy as np
import pytest

from mlbp.cli import main
from mlbp.engine.errors import MlbpError
from mlbp.engine.stage import StageContext
from mlbp.io import write_frame, write_json
from mlbp.stacks.cv import fold_indices
from mlbp.stacks.evaluate import Evaluate
from mlbp.stacks.train import fit_stack

LOGISTIC = {"name": "logistic", "threads": 1,
            "preprocess": {"_target_": "mlbp.stacks.preprocess.Preprocess", "numeric": "impute_scale",
                           "categorical": "onehot"},
            "estimator": {"binary": {"_target_": "sklearn.linear_model.LogisticRegression", "max_iter": 500},
                          "multiclass": {"_target_": "sklearn.linear_model.LogisticRegression", "max_iter": 500},
                          "regression": {"_target_": "sklearn.linear_model.Ridge"}}}
FAST = {"cv": {"folds": 2, "seeds": [1, 2]}, "serving": {"latency_rows": 10, "batch_rows": 500},
        "importance": {"rows": 300, "repeats": 1}, "slices": {"columns": ["region"], "min_rows": 20}}


def _evaluate(tmp_path: Path, df, task: str, target: str, exclude: list[str], **params) -> dict:
    """Run the Evaluate stage on real folders: model.joblib + model.json, train and holdout Parquet."""
    train, holdout = df.iloc[:1100].reset_index(drop=True), df.iloc[1100:].reset_index(drop=True)
    pipe, info = fit_stack(LOGISTIC, train, target, task, exclude, seed=1)
    folders = {n: tmp_path / n for n in ("model", "train", "holdout", "scorecard")}
    for f in folders.values():
        f.mkdir()
    joblib.dump(pipe, folders["model"] / "model.joblib")
    write_json(info, folders["model"], "model.json")
    write_frame(train, folders["train"])
    write_frame(holdout, folders["holdout"])
    ctx = StageContext(stage="evaluate", inputs={k: folders[k] for k in ("model", "train", "holdout")},
                       outputs={"scorecard": folders["scorecard"]}, run_dir=tmp_path, log=logging.getLogger("t"))
    stage = Evaluate(target=target, task=task, stack=LOGISTIC, exclude=exclude, seed=1,
                     scorecard=FAST | params.pop("scorecard", {}), **params)
    stage.run(ctx)
    card = json.loads((folders["scorecard"] / "scorecard.json").read_text())
    card["_files"] = sorted(p.name for p in folders["scorecard"].iterdir())
    return card


def test_binary_scorecard_has_every_criterion(tmp_path, small_frame, exclude, business):
    card = _evaluate(tmp_path, small_frame, "binary", "redeemed", exclude, business=business,
                     thresholds={"roc_auc": {"min": 0.99}, "latency_p99_ms": {"max": 10_000}})
    # keys other stages read
    for key in ("threshold", "blessed", "failed_rules", "primary_metric", "primary", "holdout", "business", "stack"):
        assert key in card, key
    assert card["primary_metric"] == "roc_auc" and card["primary"] == card["holdout"]["roc_auc"]
    assert set(card["holdout"]) >= {"roc_auc", "pr_auc", "log_loss", "brier"}
    # validity + stability: 2 folds x 2 seeds, spread across folds and across seeds
    assert len(card["cv"]["runs"]) == 4 and card["cv"]["seeds"] == [1, 2]
    s = card["cv"]["summary"]["roc_auc"]
    assert s["std_folds"] >= 0 and s["std_seeds"] >= 0 and s["min"] <= s["mean"] <= s["max"]
    assert card["degradation"]["drop"] == pytest.approx(s["mean"] - card["primary"], abs=1e-5)
    # business: threshold chosen out of fold, compared with acting on all and none
    b = card["business"]
    assert card["threshold"] == b["threshold"] and 0 <= card["threshold"] <= 1
    assert b["profit_act_on_none"] == 0.0 and b["profit_best_possible"] >= b["profit_at_threshold"]
    assert b["profit_best_possible"] >= max(b["profit_act_on_all"], 0)
    assert set(b["lift"]) == {"top_5pct", "top_10pct", "top_20pct"}
    # calibration
    assert 0 <= card["calibration"]["ece"] <= 1 and card["calibration"]["curve"]
    assert "recalibrated_ece" in card["calibration"]
    # serving readiness
    sv = card["serving"]
    assert 0 < sv["latency_p50_ms"] <= sv["latency_p99_ms"] and sv["batch_rows_per_s"] > 0 and sv["model_size_mb"] > 0
    assert card["train_seconds"] >= 0
    # slices with the worst flagged
    worst = card["slices"]["worst"]
    ranked = [r for r in card["slices"]["slices"] if r["ranked"]]
    assert worst["roc_auc"] == min(r["roc_auc"] for r in ranked)
    assert sum(r.get("worst", False) for r in card["slices"]["slices"]) == 1
    # importance, weighted total, blessing
    assert {r["feature"] for r in card["importance"]} >= {"offer_type", "distance_km"}
    assert 0 <= card["total"] <= 1 and set(card["subscores"]) >= {"validity", "business", "serving"}
    assert not card["blessed"] and card["failed_rules"] == [f"roc_auc = {card['primary']:.4f} < min 0.99"]
    assert {"confusion_matrix.png", "profit_curve.png", "lift_curve.png", "calibration_curve.png",
            "feature_importance.png", "slices.png"} <= set(card["_files"])


def test_regression_scorecard(tmp_path, small_frame, exclude):
    card = _evaluate(tmp_path, small_frame, "regression", "ticket", exclude + ["avg_ticket", "distance_band"],
                     thresholds={"r2": {"min": -10}})
    assert card["primary_metric"] == "rmse" and not card["higher_is_better"]
    assert set(card["holdout"]) == {"rmse", "mae", "r2", "nrmse", "nmae"} and card["threshold"] is None
    assert card["blessed"] and "predicted_vs_actual.png" in card["_files"]
    raw = card["primary"] - card["cv"]["summary"]["rmse"]["mean"]  # an error's drop, in target std units
    assert card["degradation"]["drop_in_target_units"] == pytest.approx(raw, abs=1e-5)
    assert card["degradation"]["drop"] == pytest.approx(raw / card["target_scale"]["std"], abs=1e-5)


def test_multiclass_scorecard(tmp_path, small_frame, exclude):
    card = _evaluate(tmp_path, small_frame, "multiclass", "distance_band", exclude + ["distance_km", "ticket"])
    assert card["primary_metric"] == "log_loss" and "roc_auc_ovr" in card["holdout"]
    assert card["classes"] == [0, 1, 2] and "confusion_matrix.png" in card["_files"]


def test_unknown_weight_is_a_config_error(tmp_path, small_frame, exclude):
    with pytest.raises(MlbpError) as err:
        _evaluate(tmp_path, small_frame, "binary", "redeemed", exclude, scorecard={"weights": {"speed": 1}})
    assert err.value.key == "evaluation.scorecard.weights"


def test_folds_depend_on_seed_only():
    y = np.array([0, 1] * 50)
    a = fold_indices(y, "binary", 3, seed=4)
    b = fold_indices(y, "binary", 3, seed=4)
    c = fold_indices(y, "binary", 3, seed=5)
    assert all(np.array_equal(x[1], z[1]) for x, z in zip(a, b, strict=True))
    assert not all(np.array_equal(x[1], z[1]) for x, z in zip(a, c, strict=True))


def test_pipeline_scorecard_and_candidate_report(project_dir):
    args = ["experiment=quick", "data.source.n_rows=4000", "evaluation.scorecard.cv.folds=2",
            "evaluation.scorecard.cv.seeds=[1]", "stack=logistic",
         "evaluation.thresholds.latency_p99_ms.max=10000",  # blessing must not hinge on a busy test machine
            "pipeline.stages.serve_check=null"]  # the scorecard and reports need no HTTP smoke check
    assert main(args) == 0
    run_dir = sorted(project_dir.glob("outputs/*/*/run.json"))[-1].parent
    run = json.loads((run_dir / "run.json").read_text())
    folder = project_dir / ".mlbp" / "store" / "objects" / run["stages"]["evaluate"]["outputs"]["scorecard"]
    card = json.loads((folder / "scorecard.json").read_text())
    assert card["stack"] == "logistic" and card["cv"]["folds"] == 2
    # the package stage saved the scorecard's threshold with the model
    bundle = project_dir / ".mlbp" / "store" / "objects" / run["stages"]["package"]["outputs"]["bundle"]
    assert json.loads((bundle / "manifest.json").read_text())["threshold"] == card["threshold"]
    html = (run_dir / "candidate.html").read_text()
    assert html.count("data:image/png;base64,") >= 6 and 'src="http' not in html and "<script" not in html
    assert "Confusion matrix at the chosen threshold" in html and "Worst slice" in html
    # the run report embeds every PNG of the scorecard folder
    assert (run_dir / "report.html").read_text().count("data:image/png") >= len(list(folder.glob("*.png")))
