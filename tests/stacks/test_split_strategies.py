"""Conformance suite for the `split` group: every file in conf/split composes, builds, follows the
SplitStrategy protocol and splits a table shaped like a user's (string labels, a repeated customer
id, dates as text) the same way twice. A new strategy is tested by adding its file."""

from __future__ import annotations

import json
import re
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from mlbp.cli import main
from mlbp.compose.launch import compose_config
from mlbp.engine.errors import MlbpError
from mlbp.engine.targets import build
from mlbp.stacks.splits import SplitStrategy
from mlbp.stacks.splits.guard import HoldoutNeed
from mlbp.stacks.splits.shuffled import GroupSplit
from mlbp.stacks.splits.time import TimeSplit

STRATEGIES = sorted(p.name.removesuffix(".yaml") for p in (resources.files("mlbp.conf") / "split").iterdir()
                    if p.name.endswith(".yaml"))


def accounts(n: int = 3000, seed: int = 5) -> pd.DataFrame:
    """Seven months of rows; a minority class labelled in words; customers that come back."""
    rng = np.random.default_rng(seed)
    when = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.sort(rng.random(n)) * 212, unit="D")
    return pd.DataFrame({
        "customer": [f"C{int(i):05d}" for i in rng.integers(0, n // 4, n)],
        "opened": when.strftime("%Y-%m-%d %H:%M"),
        "amount": rng.gamma(2.0, 30.0, n).round(2),
        "churned": np.where(rng.random(n) < 0.2, "yes", "no"),
        "spend": rng.gamma(3.0, 100.0, n).round(2),
    })


def strategy(name: str, *overrides: str) -> SplitStrategy:
    cfg = compose_config([f"split={name}", "time_column=opened", "id_column=customer", "target=churned",
                          "task=binary", *overrides])
    return build(OmegaConf.to_container(cfg.split, resolve=True), "split")


def test_there_is_something_to_test():
    assert {"time", "stratified", "group"} <= set(STRATEGIES)


@pytest.mark.parametrize("name", STRATEGIES)
def test_strategy_follows_the_protocol_and_is_reproducible(name):
    df = accounts()
    s = strategy(name)
    assert isinstance(s, SplitStrategy) and isinstance(s.name, str) and isinstance(s.ordered, bool)
    mask, info = s.split(df, "churned", "binary", _need(df))
    assert isinstance(mask, np.ndarray) and mask.dtype == bool and len(mask) == len(df)
    assert 0 < mask.sum() < len(df)  # rows on both sides
    json.dumps(info)  # written to split.json as it is
    again, _ = strategy(name).split(df.copy(), "churned", "binary", _need(df))
    assert (again == mask).all()
    assert (~mask).sum() >= 1000  # the guard's default: the larger of 1,000 and 10% of 3,000 rows


@pytest.mark.parametrize("name", STRATEGIES)
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_folds_cover_every_row_once_and_follow_the_strategy(name, task):
    df = accounts()
    y = (df["churned"] == "yes").astype(int).to_numpy() if task == "binary" else df["spend"].to_numpy()
    s = strategy(name)
    folds = s.folds(df, y, task, 3, 1)
    assert len(folds) == 3
    tested = np.concatenate([te for _, te in folds])
    assert sorted(tested) == list(range(len(df)))  # each row judged exactly once
    for tr, te in folds:
        assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == len(df)
        if name == "group":
            assert not set(df["customer"].iloc[tr]) & set(df["customer"].iloc[te])
        if name == "time":  # one contiguous stretch of time per fold
            ts = pd.to_datetime(df["opened"])
            inside = (ts >= ts.iloc[te].min()) & (ts <= ts.iloc[te].max())
            assert inside.sum() == len(te)
    assert [te.tolist() for _, te in s.folds(df, y, task, 3, 1)] == [te.tolist() for _, te in folds]


def test_stratified_holdout_keeps_class_and_target_proportions():
    df = accounts(5000)
    mask, info = strategy("stratified").split(df, "churned", "binary", _need(df))
    share = (df["churned"] == "yes").mean()
    assert abs((df["churned"][~mask] == "yes").mean() - share) < 0.01
    assert info["stratified_by"] == "class" and abs((~mask).mean() - 0.2) < 0.01
    mask, info = strategy("stratified").split(df, "spend", "regression", None)
    deciles = pd.qcut(df["spend"], 10, labels=False)
    assert np.allclose(deciles[~mask].value_counts(normalize=True).sort_index(), 0.1, atol=0.01)
    other, _ = strategy("stratified", "seed=8").split(df, "spend", "regression", None)
    assert (other != mask).any()  # the seed moves it


def test_stratified_holdout_grows_for_a_rare_class():
    df = accounts(5000)
    df["churned"] = np.where(np.arange(len(df)) % 100 == 0, "yes", "no")  # 50 rows of 'yes'
    mask, info = strategy("stratified").split(df, "churned", "binary", _need(df))
    assert (df["churned"][~mask] == "yes").sum() >= 16  # a third of the class's 50 rows
    assert info["holdout_size_rule"] == "raised to meet the holdout guard"


def test_group_holdout_never_shares_an_id_with_training():
    df = accounts(4000)
    mask, info = strategy("group").split(df, "churned", "binary", _need(df))
    assert not set(df["customer"][mask]) & set(df["customer"][~mask])
    assert info["holdout_groups"] < info["groups"] and (~mask).sum() >= 1000
    with pytest.raises(MlbpError, match="group column 'nope'"):
        GroupSplit("nope").split(df, "churned", "binary", None)
    with pytest.raises(MlbpError, match="needs the column"):
        GroupSplit(None)


def test_time_split_holds_out_the_newest_month_or_days():
    df = accounts()
    ts = pd.to_datetime(df["opened"])
    mask, info = TimeSplit("opened").split(df, "churned", "binary")
    assert (ts[~mask] >= pd.Timestamp("2026-07-01")).all() and (ts[mask] < pd.Timestamp("2026-07-01")).all()
    assert info["cutoff"].startswith("2026-07-01") and TimeSplit.ordered
    mask, info = TimeSplit("opened", holdout_days=10).split(df, "churned", "binary")
    assert ts[~mask].min() >= ts.max().normalize() - pd.Timedelta(days=9)
    mask, _ = TimeSplit("opened", holdout_months=2).split(df, "churned", "binary")
    assert (ts[~mask] >= pd.Timestamp("2026-06-01")).all()


def test_time_split_names_what_is_missing():
    with pytest.raises(MlbpError, match="needs a time column") as err:
        TimeSplit(None)
    assert err.value.key == "time_column" and "conf/split" in str(err.value)
    with pytest.raises(MlbpError, match="not in the data") as err:
        TimeSplit("sent_on").split(accounts(50), "churned", "binary")
    assert "opened" in str(err.value)


def test_split_stage_writes_both_sides_with_the_strategy(project_dir):
    assert main(["experiment=quick", "data.source.n_rows=3000", "only=[split]"]) == 0
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    facts = run["stages"]["split"]["facts"]
    assert facts["strategy"] == "time" and facts["train"] > facts["holdout"] > 0
    assert facts["train"] + facts["holdout"] == run["stages"]["validate"]["facts"]["accepted"]
    info = json.loads((project_dir / ".mlbp/store/objects" / run["artifacts"]["holdout"] / "split.json").read_text())
    assert info["strategy"] == "time" and info["ordered"] is True and info["holdout_rows"] == facts["holdout"]


def _need(df: pd.DataFrame, task: str = "binary", **rules) -> HoldoutNeed:
    return HoldoutNeed.for_table(df["churned"], task, rules.get("min_rows"), rules.get("min_class_rows", 50))


def test_the_default_holdout_need_follows_the_table():
    assert _need(accounts(3000)).min_rows == 1000  # the larger of 1,000 and 10%, at most a third
    assert _need(accounts(20000)).min_rows == 2000
    assert _need(accounts(2400)).min_rows == 800 and _need(accounts(2400)).max_rows == 800
    assert _need(accounts(3000), min_rows=300).min_rows == 300
    need = _need(accounts(3000))
    assert set(need.class_rows) == {"yes", "no"} and need.class_rows["yes"] == 50
    assert _need(accounts(3000), "regression").class_rows == {}


def test_a_rare_class_needs_half_its_fair_share_and_a_vanished_class_still_fails():
    """15 classes in 3,000 rows: a time split's holdout held 45 rows of a 144-row class where the
    guard asked for 48 (a third of it, the average), so a fair split failed at random."""
    y = pd.Series(["rare"] * 144 + ["common"] * 2856)
    need = HoldoutNeed.for_table(y, "multiclass")
    assert need.class_rows == {"rare": 48, "common": 50}  # what a stratified split aims at
    assert need.class_floor == {"rare": 24, "common": 50}
    assert need.shortfall(pd.Series(["rare"] * 45 + ["common"] * 955)) == []
    gone = need.shortfall(pd.Series(["common"] * 1000))
    assert gone == ["0 rows of class 'rare', needs at least 24"]


def test_a_partial_final_month_joins_the_month_before_it():
    """The issue's case: a UTC timestamp put a year's last evening into a January of its own."""
    df = accounts(6000)
    evening = df.tail(84).copy()
    evening["opened"] = [(pd.Timestamp("2026-07-31 23:00", tz="America/New_York") + pd.Timedelta(seconds=i)).isoformat()
                         for i in range(84)]  # 03:00 UTC on August 1st
    df = pd.concat([df[pd.to_datetime(df["opened"]) < "2026-08-01"], evening], ignore_index=True)
    df["opened"] = df["opened"].astype(str)
    mask, info = TimeSplit("opened").split(df, "churned", "binary", _need(df, min_rows=300))
    assert info["partial_period"]["period"] == "2026-08" and info["partial_period"]["rows"] == 84
    assert info["partial_period"]["joined_with"] == "2026-07"
    assert (~mask).sum() > 84 + 500 and info["holdout_span"] == "2 months" and "widened" not in info
    assert mask[:-84].sum() == (pd.to_datetime(df["opened"][:-84]) < "2026-07-01").sum()


def test_a_small_newest_month_widens_the_window_and_says_why():
    df = accounts(4000)  # ~570 rows a month: one month is under the default 1,000
    mask, info = TimeSplit("opened").split(df, "churned", "binary", _need(df))
    assert (~mask).sum() >= 1000 and info["widened"] == {
        "from": "1 month", "to": "2 months", "because": info["widened"]["because"]}
    assert "needs at least 1,000" in info["widened"]["because"]
    mask, info = TimeSplit("opened").split(df, "churned", "binary", _need(df, min_rows=300))
    assert "widened" not in info and info["holdout_span"] == "1 month"
    df = accounts(3000)  # two months are 857 rows, three are over a third: the newest 1,000 rows
    mask, info = TimeSplit("opened").split(df, "churned", "binary", _need(df))
    assert info["holdout_span"] == "the newest 1,000 rows" == info["widened"]["to"] and (~mask).sum() == 1000
    ts = pd.to_datetime(df["opened"])
    assert ts[~mask].min() > ts[mask].max()  # still the future of every training row


def test_a_holdout_that_cannot_meet_the_guard_stops_the_run_naming_the_numbers(project_dir, capsys):
    assert main(["data.source.n_rows=3000", "evaluation.holdout.min_rows=5000", "only=[split]"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "too small to judge a model on" in err and "evaluation.holdout" in err
    assert re.search(r"rows, needs at least 5,000 \(evaluation.holdout.min_rows\)", err), err
    assert main(["data.source.n_rows=3000", "+evaluation.holdout.min_rowz=5", "only=[split]"]) == 1
    assert "min_rowz" in capsys.readouterr().err


def test_rows_without_a_date_train_and_zones_are_converted():
    df = accounts(3000)
    df.loc[:9, "opened"] = None
    local = pd.to_datetime(df.loc[10:, "opened"]).dt.tz_localize("Europe/Berlin", nonexistent="shift_forward")
    df.loc[10:, "opened"] = local.astype(str)
    mask, info = TimeSplit("opened").split(df, "churned", "binary", _need(df, min_rows=300))
    assert mask[:10].all() and info["undated_rows_in_train"] == 10
