"""Business value on an example small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlbp.engine.errors import MlbpError
from mlbp.stacks.business import best_threshold, business_summary, lift_curve, profit_at, profit_curve, row_values

# five rows, sorted by score for readability. Acting costs 1 per row; a positive pays 10 - 2 = 8.
FRAME = pd.DataFrame({"margin": [10.0] * 5, "discount": [2.0] * 5, "send": [1.0] * 5})
BUSINESS = {"if_positive": {"add": ["margin"], "subtract": ["discount"]}, "per_action": {"subtract": ["send"]}}
Y = np.array([1, 0, 1, 0, 0])
SCORE = np.array([0.9, 0.8, 0.6, 0.3, 0.1])


def test_row_values_add_and_subtract_columns():
    v_pos, v_neg = row_values(FRAME, BUSINESS)
    assert v_pos.tolist() == [7.0] * 5  # 10 - 2 - 1
    assert v_neg.tolist() == [-1.0] * 5


def test_profit_curve_by_hand():
    v_pos, v_neg = row_values(FRAME, BUSINESS)
    curve = profit_curve(Y, SCORE, v_pos, v_neg)
    # acting on the top 1..5 rows: 7, 7-1=6, 6+7=13, 12, 11
    assert curve["profit"].tolist() == [7.0, 6.0, 13.0, 12.0, 11.0]
    assert curve["acted"].tolist() == [1, 2, 3, 4, 5]
    assert best_threshold(Y, SCORE, v_pos, v_neg) == 0.6
    assert profit_at(Y, SCORE, v_pos, v_neg, 0.6) == 13.0
    assert profit_at(Y, SCORE, v_pos, v_neg, 0.85) == 7.0


def test_summary_compares_with_acting_on_all_and_none():
    v_pos, v_neg = row_values(FRAME, BUSINESS)
    s = business_summary(Y, SCORE, v_pos, v_neg, top_k=(0.2, 0.4))
    assert s["threshold"] == 0.6 and s["profit_at_threshold"] == 13.0
    assert s["profit_act_on_all"] == 11.0 and s["profit_act_on_none"] == 0.0
    assert s["uplift_vs_all"] == 2.0 and s["acted_share"] == 0.6
    # top 20% = 1 row, all positive: rate 1.0 / base rate 0.4 = 2.5; top 40%: 1/2 / 0.4 = 1.25
    assert s["lift"] == {"top_20pct": 2.5, "top_40pct": 1.25}


def test_a_threshold_chosen_elsewhere_is_kept():
    v_pos, v_neg = row_values(FRAME, BUSINESS)
    s = business_summary(Y, SCORE, v_pos, v_neg, threshold=0.85)
    assert s["threshold"] == 0.85 and s["profit_at_threshold"] == 7.0
    assert s["profit_best_possible"] == 13.0 and s["best_threshold_here"] == 0.6


def test_when_every_action_loses_money_act_on_no_one():
    v_pos, v_neg = np.full(5, -1.0), np.full(5, -1.0)
    assert best_threshold(Y, SCORE, v_pos, v_neg) == float("inf")
    s = business_summary(Y, SCORE, v_pos, v_neg)
    assert s["profit_at_threshold"] == 0.0 and s["acted_share"] == 0.0


def test_lift_curve_ends_at_one():
    curve = lift_curve(Y, SCORE, points=5)
    assert curve["lift"].iloc[0] == pytest.approx(2.5)
    assert curve["lift"].iloc[-1] == pytest.approx(1.0)


def test_a_missing_value_column_names_the_key():
    with pytest.raises(MlbpError) as err:
        row_values(FRAME, {"if_positive": {"add": ["margn"]}})
    assert err.value.key == "evaluation.business.if_positive.add"
