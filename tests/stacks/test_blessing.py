"""Blessing rules: absolute thresholds per criterion and "beat the champion by at least X"."""

from __future__ import annotations

import json

import pytest

from mlbp.cli import main
from mlbp.engine.errors import MlbpError
from mlbp.stacks.blessing import bless, champion_rule, criteria

CARD = {
    "primary_metric": "roc_auc", "primary": 0.71, "holdout": {"roc_auc": 0.71, "log_loss": 0.4},
    "cv": {"summary": {"roc_auc": {"mean": 0.74, "std_folds": 0.012, "std_seeds": 0.004}}},
    "degradation": {"drop": 0.03}, "calibration": {"ece": 0.02},
    "serving": {"latency_p50_ms": 3.0, "latency_p99_ms": 12.0, "batch_rows_per_s": 9000.0, "model_size_mb": 1.5},
    "business": {"profit_at_threshold": 120.0, "uplift_vs_all": 15.0},
    "slices": {"worst": {"column": "region", "value": "west", "roc_auc": 0.61}}, "total": 0.8, "train_seconds": 2.0,
}


def test_criteria_flatten_the_scorecard():
    c = criteria(CARD)
    assert c["roc_auc"] == 0.71 and c["cv_roc_auc"] == 0.74 and c["cv_std"] == 0.012 and c["seed_std"] == 0.004
    assert c["degradation"] == 0.03 and c["ece"] == 0.02 and c["latency_p99_ms"] == 12.0
    assert c["worst_slice"] == 0.61 and c["uplift_vs_all"] == 15.0 and c["total"] == 0.8


def test_every_rule_passes():
    ok, failed = bless(criteria(CARD), {"roc_auc": {"min": 0.7}, "latency_p99_ms": {"max": 50}, "ece": {"max": 0.05}})
    assert ok and failed == []


def test_each_failed_rule_is_named():
    ok, failed = bless(criteria(CARD), {"roc_auc": {"min": 0.75}, "degradation": {"max": 0.02},
                                        "worst_slice": {"min": 0.65}, "model_size_mb": {"max": 2}})
    assert not ok
    assert failed == ["roc_auc = 0.7100 < min 0.75", "degradation = 0.0300 > max 0.02",
                      "worst_slice = 0.6100 < min 0.65"]


def test_a_criterion_nobody_measured_fails():
    regression = criteria({"primary_metric": "rmse", "holdout": {"rmse": 3.0}})
    ok, failed = bless(regression, {"profit_at_threshold": {"min": 0}})
    assert not ok and failed == ["profit_at_threshold: not measured"]


def test_a_typo_is_a_config_error_with_a_suggestion():
    with pytest.raises(MlbpError) as err:
        bless(criteria(CARD), {"roc_acu": {"min": 0.7}})
    assert err.value.key == "evaluation.thresholds.roc_acu" and "roc_auc" in str(err.value)
    with pytest.raises(MlbpError):
        bless(criteria(CARD), {"roc_auc": {"at_least": 0.7}})


def test_champion_rule_higher_is_better():
    champ = {"version": 3, "roc_auc": 0.70, "scored_on": "this holdout"}
    comparison, rule = champion_rule(0.705, champ, "roc_auc", True, 0.01)
    assert comparison["improvement"] == pytest.approx(0.005)
    assert rule.startswith("must beat champion v3 (roc_auc 0.7000) by at least 0.01")
    assert champion_rule(0.711, champ, "roc_auc", True, 0.01)[1] is None


def test_champion_rule_lower_is_better():
    champ = {"version": 1, "rmse": 5.0}
    assert champion_rule(4.8, champ, "rmse", False, 0.1)[1] is None
    assert champion_rule(4.95, champ, "rmse", False, 0.1)[1] is not None
    assert champion_rule(4.0, None, "rmse", False, 0.1) == (None, None)  # no champion yet: no rule


SMALL = ["experiment=quick", "data.source.n_rows=4000", "evaluation.scorecard.cv.folds=2",
         "evaluation.scorecard.cv.seeds=[1]", "evaluation.scorecard.slices.columns=[region]",
         "evaluation.thresholds.latency_p99_ms.max=10000",  # blessing must not hinge on a busy test machine
         "evaluation.scorecard.plots=false", "pipeline.stages.serve_check=null"]  # neither decides a blessing


def _scorecard(project_dir) -> dict:
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    h = run["stages"]["evaluate"]["outputs"]["scorecard"]
    return json.loads((project_dir / ".mlbp" / "store" / "objects" / h / "scorecard.json").read_text()) | {
        "_register": run["stages"]["register"]["facts"]}


def test_a_candidate_must_beat_the_registered_champion_on_this_holdout(project_dir):
    assert main([*SMALL, "stack=logistic"]) == 0
    first = _scorecard(project_dir)
    assert first["blessed"] and first["champion"] is None and first["_register"]["champion"] is True

    # the same data, a different stack, and a margin no candidate can reach
    assert main([*SMALL, "stack=lightgbm", "evaluation.champion.min_improvement=0.5"]) == 0
    second = _scorecard(project_dir)
    assert second["champion"]["version"] == 1 and second["champion"]["scored_on"] == "this holdout"
    # the champion was re-scored on this holdout: same rows, same model -> the logistic run's own number
    assert second["champion"]["champion"] == pytest.approx(first["primary"], abs=1e-6)
    assert not second["blessed"]
    assert any(r.startswith("must beat champion v1") for r in second["failed_rules"])
    assert second["_register"]["champion"] is False  # not blessed: never promoted
    html = sorted(project_dir.glob("outputs/*/*/candidate.html"))[-1].read_text()
    assert "must beat champion v1" in html
