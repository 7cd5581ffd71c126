"""Strict input checks, offline: every wrong value names its column; nothing is coerced."""

from __future__ import annotations

import pandas as pd
import pytest

from mlbp.deploy.batch.checks import check_batch
from mlbp.deploy.runtime.signature import InputChecker, InputError
from mlbp.engine.errors import MlbpError


@pytest.fixture
def checker(example):
    return InputChecker(example["manifest"]["signature"])


@pytest.mark.parametrize("column, value, words", [
    ("visits_90d", False, "boolean"),
    ("visits_90d", True, "boolean"),
    ("visits_90d", "3", "string"),
    ("visits_90d", 3.5, "integer"),
    ("visits_90d", -1, "outside"),
    ("visits_90d", None, "null"),
    ("avg_ticket", [1.0], "array"),
    ("avg_ticket", {"v": 1}, "object"),
    ("distance_km", "far", "number"),
    ("region", 3, "string"),
    ("region", True, "string"),
    ("channel", None, "null"),
])
def test_bad_values_name_the_column(checker, good_row, column, value, words):
    row = {**good_row, column: value}
    with pytest.raises(InputError) as err:
        checker.records([row])
    assert err.value.field == column and words in err.value.message
    assert 400 <= err.value.status < 500


def test_missing_and_extra_columns(example, good_row):
    strict = InputChecker(example["manifest"]["signature"], extra_columns="error")
    lax = InputChecker(example["manifest"]["signature"], extra_columns="ignore")
    row = dict(good_row)
    row.pop("offer_type")
    with pytest.raises(InputError) as err:
        lax.records([row])
    assert err.value.field == "offer_type"
    with pytest.raises(InputError) as err:
        strict.records([{**good_row, "shoe_size": 44}])
    assert err.value.field == "shoe_size"
    assert lax.records([{**good_row, "shoe_size": 44}])["region"] == [good_row["region"]]


def test_unknown_category_under_score_goes_to_the_model_as_it_is(example, good_row):
    for policy in ("score", "missing"):  # `missing` is the former name
        c = InputChecker(example["manifest"]["signature"], unknown_category=policy)
        checked = c.records([{**good_row, "region": "atlantis"}])
        assert checked["region"] == ["atlantis"] and not checked.rejected  # the category policy answers it


def test_an_unknown_category_refuses_its_row_only(checker, good_row):
    rows = [good_row, {**good_row, "region": "atlantis", "channel": "pigeon"}, good_row]
    checked = checker.records(rows)
    assert list(checked.rejected) == [1]
    err = checked.rejected[1]
    assert err.field == "region" and err.status == 422
    assert "row 1" in err.message and "'atlantis'" in err.message and "the model knows" in err.message
    assert checked["region"] == [good_row["region"], None, good_row["region"]]  # aligned, the row held as missing


def test_an_unknown_category_error_stays_short_for_4000_categories():
    levels = [f"city_{i:04d}" for i in range(4000)]
    sig = {"numeric": [], "categorical": ["city"], "task": "binary",
           "inputs": {"city": {"kind": "categorical", "categories": levels, "nullable": True}}}
    checked = InputChecker(sig).columns({"city": ["city_0001", "Atlantis " * 40]})
    message = checked.rejected[1].message
    assert len(message) < 300 and "4,000" in message and "city_0000" in message and "city_3999" not in message


def test_a_policy_outside_the_list_is_refused_naming_the_key(example):
    with pytest.raises(MlbpError) as err:
        InputChecker(example["manifest"]["signature"], unknown_category="drop")
    assert err.value.key == "deploy.rest.unknown_category" and "reject | score" in str(err.value)


def test_integral_floats_are_ints_and_ints_are_floats(checker, good_row):
    cols = checker.records([{**good_row, "visits_90d": 4.0, "distance_km": 3}])
    assert cols["visits_90d"] == [4.0] and cols["distance_km"] == [3]


def test_batch_checks_quarantine_with_reasons(checker, golden, example):
    import pyarrow as pa

    df = golden[example["features"]].copy()
    df["region"] = df["region"].astype(object)
    df.loc[0, "region"] = "atlantis"
    df.loc[2, "distance_km"] = 9999.0
    df.loc[3, "visits_90d"] = -2
    table = pa.Table.from_pandas(df, preserve_index=False)
    checked = check_batch(table, checker)
    assert {i: r for i, r in enumerate(checked.reasons) if r} == {
        0: "region: unknown category", 2: "distance_km: above max 500", 3: "visits_90d: below min 0"}
    assert int(checked.valid.sum()) == len(df) - 3
    text = pa.table({c: pa.array(["x" if c == "visits_90d" else None] * 2, pa.string()) for c in example["features"]})
    reasons = check_batch(text, checker).reasons
    assert reasons[0] == "visits_90d: expected a number"
    assert isinstance(pd.DataFrame(), pd.DataFrame)
