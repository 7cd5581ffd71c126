"""Feasibility: each check fires on data built to trip it, the verdict follows, plots are written."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from mlbp.data.assess import Assess, assess_frame
from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import StageContext
from mlbp.io import read_json, write_frame


def _data(n: int = 3000, seed: int = 0, regression: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    group = rng.choice(["a", "b", "c"], n)
    signal = x1 + 0.5 * x2 + (group == "a") * 0.8
    df = pd.DataFrame({"x1": x1, "x2": x2, "group": group,
                       "when": pd.Timestamp("2026-03-01") + pd.to_timedelta(np.sort(rng.random(n)) * 60, unit="D")})
    df["y"] = signal + rng.normal(size=n) if regression else (signal + rng.normal(size=n) > 0.5).astype("int64")
    return df


def _checks(result: dict) -> dict[str, dict]:
    return {c["check"]: c for c in result["checks"]}


def test_clean_data_passes_with_a_learning_curve():
    df = _data()
    res = assess_frame(df, "y", "binary", "when", ["x1", "x2", "group"], {"min_rows": 1000},
                       now=pd.Timestamp("2026-05-01"), curve={})
    checks = _checks(res)
    assert res["verdict"] in ("pass", "warn")
    assert all(c["ok"] for n, c in checks.items() if n != "learning_curve_gain")
    assert [p["fraction"] for p in res["learning_curve"]["points"]] == [0.1, 0.25, 0.5, 1.0]
    assert res["learning_curve"]["points"][-1]["score"] > 0.7
    assert res["arrival"]["staleness_days"] == pytest.approx(1.0, abs=0.1)
    assert res["arrival"]["rows_per_day_window"] == pytest.approx(50, rel=0.15)


def test_each_problem_is_found_with_its_level():
    df = _data()
    df["leak"] = df["y"] * 10 + np.random.default_rng(1).normal(size=len(df)) * 0.01  # the target in disguise
    df["ticket"] = [f"T{i}" for i in range(len(df))]  # a key
    df["const"] = 1
    df["mostly_missing"] = np.where(np.arange(len(df)) % 2 == 0, np.nan, 1.0)
    df = pd.concat([df, df.head(100)], ignore_index=True)  # duplicates
    feats = ["x1", "x2", "group", "leak", "ticket", "const", "mostly_missing"]
    res = assess_frame(df, "y", "binary", "when", feats, {"leakage_level": "fail", "min_rows_per_day": 500},
                       now=pd.Timestamp("2026-12-01"), curve=None)
    c = _checks(res)
    assert c["leakage_suspects"]["value"] == ["leak"] and c["leakage_suspects"]["level"] == "fail"
    assert c["id_like_columns"]["value"] == ["ticket"] and not c["id_like_columns"]["ok"]
    assert c["constant_columns"]["value"] == ["const"]
    assert not c["max_missing_share"]["ok"] and "mostly_missing" in c["max_missing_share"]["rule"]
    assert not c["duplicate_share"]["ok"]
    assert not c["rows_per_day"]["ok"] and not c["staleness_days"]["ok"]
    assert res["verdict"] == "fail" and any(r.startswith("leakage_suspects") for r in res["reasons"])
    assert res["single_column_scores"]["leak"] > 0.99 and res["single_column_scores"]["x2"] < 0.8


def test_minority_class_and_regression_spread():
    df = _data()
    df.loc[df.index[50:], "y"] = 0  # only a handful of positives left
    res = assess_frame(df, "y", "binary", None, ["x1", "x2"], {"min_minority_count": 100}, curve=None)
    assert not _checks(res)["minority_count"]["ok"] and res["verdict"] == "fail"
    multi = _data().assign(y=lambda d: pd.cut(d["x1"], [-9, -0.5, 0.5, 9], labels=False).astype("int64"))
    res = assess_frame(multi, "y", "multiclass", None, ["x1", "x2", "group"], {}, curve={})
    scores = res["single_column_scores"]  # mean one-vs-rest AUC: the middle class is not monotonic in x1
    assert len(res["class_balance"]) == 3 and scores["x1"] > 0.8 > scores["x2"]
    assert res["learning_curve"]["metric"] == "accuracy" and res["learning_curve"]["points"][-1]["score"] > 0.8
    reg = _data(regression=True)
    res = assess_frame(reg, "y", "regression", "when", ["x1", "x2", "group"], {}, now=pd.Timestamp("2026-05-01"),
                       curve={})
    assert res["target_spread"]["std"] > 0.5 and res["learning_curve"]["metric"] == "r2"
    reg["y"] = 3.0
    res = assess_frame(reg, "y", "regression", None, ["x1"], {}, curve=None)
    assert not _checks(res)["target_std"]["ok"] and res["verdict"] == "fail"


def _ctx(tmp_path, df):
    (tmp_path / "clean").mkdir()
    (tmp_path / "assessment").mkdir()
    write_frame(df, tmp_path / "clean")
    return StageContext("assess", {"clean": tmp_path / "clean"}, {"assessment": tmp_path / "assessment"},
                        tmp_path, logging.getLogger("t"))


def test_stage_writes_plots_and_fail_stops_the_run_unless_configured(tmp_path):
    df = _data(800)
    ctx = _ctx(tmp_path, df)
    with pytest.raises(MlbpError) as err:
        Assess("y", time_column="when", thresholds={"min_rows": 5000}, as_of="2026-05-01").run(ctx)
    assert err.value.reason == Reason.FEASIBILITY and "rows = 800" in str(err.value)
    Assess("y", time_column="when", thresholds={"min_rows": 5000}, fail_run=False, as_of="2026-05-01").run(ctx)
    out = ctx.outputs["assessment"]
    assert read_json(out, "assessment.json")["verdict"] == "fail"
    for png in ("learning_curve.png", "arrival_rate.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(MlbpError, match="unknown thresholds"):
        Assess("y", thresholds={"min_rowz": 1}).run(ctx)


def test_a_column_recorded_after_the_outcome_is_flagged_with_its_score_and_fix():
    """The leak a score cannot see: `refund_amount` is filled in after the outcome but noisy, so
    alone it predicts only moderately; its name gives it away, to assess and to `mlbp init` alike."""
    from mlbp.data.roles import assign_roles

    df = _data()
    rng = np.random.default_rng(2)
    df["refund_amount"] = np.where(rng.random(len(df)) < 0.3, df["y"] * 20.0, 0.0)  # partly known later
    df["leak"] = df["y"] * 10 + rng.normal(size=len(df)) * 0.01
    feats = ["x1", "x2", "group", "refund_amount", "leak"]
    res = assess_frame(df, "y", "binary", "when", feats, {}, now=pd.Timestamp("2026-05-01"), curve=None)
    flagged = {s["column"]: s for s in res["leakage"]}
    assert set(flagged) == {"refund_amount", "leak"}
    assert flagged["refund_amount"]["score"] < 0.95 and "after the outcome" in flagged["refund_amount"]["reason"]
    assert flagged["leak"]["score"] > 0.99 and "almost perfectly" in flagged["leak"]["reason"]
    assert all("data.exclude" in s["fix"] and s["column"] in s["fix"] for s in res["leakage"])
    reason = next(r for r in res["reasons"] if r.startswith("leakage_suspects"))
    assert "refund_amount: its name says" in reason and "Fix:" in reason
    roles = {r.column: r.role for r in assign_roles(df, "y", "binary")}
    assert roles["refund_amount"] == roles["leak"] == "leak" and roles["x1"] == "feature"
