"""`mlbp init` picks the split from the table and says why."""

from __future__ import annotations

import pandas as pd

from mlbp.data.choose_split import MIN_MONTHS, choose_split


def _frame(months: int) -> pd.DataFrame:
    when = pd.date_range("2026-01-01", periods=months * 28, freq="D")
    return pd.DataFrame({"when": when.strftime("%Y-%m-%d %H:%M"), "x": range(len(when))})


def test_enough_months_of_dates_pick_the_time_split():
    split, col, why = choose_split(_frame(5), None, ["when"])
    assert (split, col) == ("time", "when") and "spans 5 months" in why and "newest month" in why


def test_too_few_months_or_no_date_pick_stratified_and_say_why():
    split, col, why = choose_split(_frame(MIN_MONTHS - 1), None, ["when"])
    assert split == "stratified" and "'when' spans 2 months, under the 3" in why and "not measurable" in why
    split, col, why = choose_split(_frame(5), None, [])
    assert (split, col) == ("stratified", None) and why.startswith("no date column")


def test_the_users_time_column_is_the_one_tried():
    df = _frame(5).assign(other=pd.Timestamp("2026-01-01"))
    assert choose_split(df, "other", ["when"])[:2] == ("stratified", "other")
    assert choose_split(df, "when", ["other"])[:2] == ("time", "when")
