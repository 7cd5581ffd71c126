"""Drift on a 4,000-level column: two samples of one distribution do not alarm (20 seeds, at most
one alarm), a shifted distribution alarms every time, and the unseen share is exact however many
levels the reference has (it used to count every level past the top 1,000 as unseen)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlbp.data.profile import profile_frame
from mlbp.monitor.drift import DriftMonitor

LEVELS = np.array([f"shop-{i:04d}" for i in range(4000)], dtype=object)
WEIGHTS = 1.0 / np.arange(1, 4001) ** 1.05
WEIGHTS /= WEIGHTS.sum()


def draw(n: int, seed: int, weights: np.ndarray = WEIGHTS) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"shop": rng.choice(LEVELS, size=n, p=weights)})


@pytest.fixture(scope="module")
def reference():
    train = draw(20_000, seed=1000)
    return train, profile_frame(train, exact_levels=True)


@pytest.mark.parametrize("n", [400, 3000])  # a chi-square window and a distance window
def test_two_samples_of_one_distribution_do_not_alarm(reference, n):
    _, profile = reference
    monitor = DriftMonitor()
    alarms = [monitor.compare(profile, draw(n, seed))["shop"]["drifted"] for seed in range(20)]
    assert sum(alarms) <= 1, alarms


@pytest.mark.parametrize("n", [400, 3000])
def test_a_shifted_distribution_alarms_every_time(reference, n):
    _, profile = reference
    shifted = np.roll(WEIGHTS, 7)  # the popular shops lose their customers to others
    monitor = DriftMonitor()
    results = [monitor.compare(profile, draw(n, seed, shifted))["shop"] for seed in range(20)]
    assert all(r["drifted"] for r in results), [(r["score"], r["threshold"]) for r in results]


def test_the_unseen_share_is_exact_beyond_the_top_thousand(reference):
    train, profile = reference
    assert profile["columns"]["shop"]["distinct"] > 1000  # more levels than the counts keep
    known = set(train["shop"])
    current = draw(3000, seed=7)
    current.loc[:299, "shop"] = [f"new-shop-{i % 40}" for i in range(300)]
    truth = float((~current["shop"].isin(known)).mean())
    scores = DriftMonitor().compare(profile, current)["shop"]["scores"]
    assert scores["unseen_exact"] and scores["unseen_share"] == pytest.approx(truth, abs=1e-12)
    assert 0.09 < truth < 0.2  # the 300 new shops, and the rare known ones the counts leave out are not unseen


def test_a_profile_without_level_hashes_says_its_unseen_share_is_a_bound(reference):
    train, _ = reference
    old = profile_frame(train)  # as profiles were written before: top counts only
    scores = DriftMonitor().compare(old, draw(3000, seed=3))["shop"]["scores"]
    assert scores["unseen_exact"] is False and scores["unseen_share"] > 0
