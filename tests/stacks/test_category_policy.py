"""The category policy learnt at training: rare and unseen levels share one meaning ("other"),
missing stays missing, a 4,000-level column costs at most `max_categories` levels downstream, and
every encoding (one-hot, ordinal, native, target) answers an unseen value as it answers a rare one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlbp.engine.errors import MlbpError
from mlbp.stacks.category_policy import OTHER, CategoryPolicy
from mlbp.stacks.preprocess import Preprocess


def high_cardinality(n: int = 6000, levels: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A Zipf-like city column: a few big cities, thousands seen a handful of times."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, levels + 1) ** 1.1
    city = rng.choice([f"city_{i:04d}" for i in range(levels)], size=n, p=weights / weights.sum()).astype(object)
    city[rng.random(n) < 0.03] = None
    y = (rng.random(n) < np.where(pd.Series(city).isin(["city_0000", "city_0002"]), 0.6, 0.2)).astype(int)
    return pd.DataFrame({"city": city}), y


def test_rare_and_unseen_levels_are_other_and_missing_stays_missing():
    X = pd.DataFrame({"c": ["a"] * 30 + ["b"] * 25 + ["rare"] * 3 + [None] * 2})
    policy = CategoryPolicy(min_frequency=20).fit(X)
    out = policy.transform(pd.DataFrame({"c": ["a", "b", "rare", "never seen", None, np.nan]}))["c"].tolist()
    assert out[:4] == ["a", "b", OTHER, OTHER] and pd.isna(out[4]) and pd.isna(out[5])
    assert policy.dropped_ == {"c": 1}


def test_max_categories_keeps_the_most_frequent_and_a_share_is_a_share():
    X = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 40 + ["c"] * 30 + ["d"] * 5})
    assert CategoryPolicy(min_frequency=1, max_categories=2).fit(X).kept_["c"] == {"a", "b"}
    assert CategoryPolicy(min_frequency=0.2, max_categories=None).fit(X).kept_["c"] == {"a", "b", "c"}  # >= 25 rows


@pytest.mark.parametrize("encoding", ["onehot", "ordinal", "native", "target"])
def test_every_encoding_answers_an_unseen_value_as_a_rare_one(encoding):
    X, y = high_cardinality()
    pre = Preprocess(numeric="impute", categorical=encoding).build([], ["city"])
    pre.fit(X, y)
    counts = X["city"].value_counts()
    rare = counts[counts == 1].index[0]
    out = pre.transform(pd.DataFrame({"city": [rare, "a city nobody saw", "city_0000", None]}))
    arr = out.to_numpy() if isinstance(out, pd.DataFrame) else np.asarray(out)
    if encoding == "native":
        arr = out["city"].cat.codes.to_numpy().reshape(-1, 1)
    assert np.array_equal(arr[0], arr[1])  # rare and unseen: one meaning
    assert not np.array_equal(arr[0], arr[2])  # a frequent city keeps its own
    if encoding == "onehot":
        assert arr.shape[1] <= 50 + 2  # kept levels + other + missing, not 4,000 columns
    if encoding == "native":
        assert len(out["city"].cat.categories) <= 255


@pytest.mark.parametrize(("key", "value"), [("min_frequency", -1), ("min_frequency", "often"),
                                            ("max_categories", 0), ("max_categories", 2.5)])
def test_a_bad_policy_setting_names_its_key(key, value):
    with pytest.raises(MlbpError) as err:
        Preprocess(**{key: value}).build([], ["city"])
    assert err.value.key == f"stack.preprocess.{key}"


def test_target_encoding_fits_the_same_twice():
    X, y = high_cardinality()
    a = Preprocess(categorical="target").build([], ["city"]).fit_transform(X, y)
    b = Preprocess(categorical="target").build([], ["city"]).fit_transform(X, y)
    assert np.array_equal(np.asarray(a), np.asarray(b))
