"""Profile-based drift statistics match the exact statistics scipy computes from raw data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chisquare, ks_2samp, wasserstein_distance

from mlbp.data.profile import profile_column
from mlbp.monitor.stats import benjamini_hochberg, categorical_scores, category_counts, numeric_scores


@pytest.mark.parametrize("dist", ["normal", "lognormal", "gamma"])
@pytest.mark.parametrize("shift", [0.0, 0.3])
def test_numeric_scores_match_scipy(dist, shift):
    rng = np.random.default_rng(3)
    draw = {"normal": lambda n: rng.normal(0, 1, n), "lognormal": lambda n: rng.lognormal(0, 0.8, n),
            "gamma": lambda n: rng.gamma(2.0, 3.0, n)}[dist]
    ref, cur = draw(100_000), draw(50_000)
    cur = cur + shift * cur.std()
    prof = profile_column(pd.Series(ref))
    got = numeric_scores(prof, cur)
    w_exact = wasserstein_distance(ref, cur) / ref.std()
    ks_exact = ks_2samp(ref, cur).statistic
    if shift:
        assert got["wasserstein_normed"] == pytest.approx(w_exact, rel=0.01)
        assert got["ks"] == pytest.approx(ks_exact, rel=0.02)
    else:  # sampling noise only: judged against 1% of the 0.1 drift threshold
        assert abs(got["wasserstein_normed"] - w_exact) < 0.001
        assert abs(got["ks"] - ks_exact) < 0.002


def test_ks_pvalue_tracks_scipy():
    rng = np.random.default_rng(4)
    ref, cur = rng.normal(0, 1, 20_000), rng.normal(0.03, 1, 5_000)
    got = numeric_scores(profile_column(pd.Series(ref)), cur)
    exact = ks_2samp(ref, cur, method="asymp").pvalue
    assert got["ks_pvalue"] == pytest.approx(exact, rel=0.3, abs=0.01)


def test_categorical_scores_are_exact():
    rng = np.random.default_rng(5)
    cats = np.array(["a", "b", "c", "d"], dtype=object)
    ref = pd.Series(cats[rng.choice(4, 10_000, p=[0.4, 0.3, 0.2, 0.1])])
    cur = pd.Series(cats[rng.choice(4, 4_000, p=[0.25, 0.25, 0.25, 0.25])])
    prof = profile_column(ref)
    got = categorical_scores(prof["counts"], category_counts(cur))
    r = ref.value_counts().reindex(list("abcd")).to_numpy(float)
    c = cur.value_counts().reindex(list("abcd")).to_numpy(float)
    assert got["jensenshannon"] == pytest.approx(jensenshannon(r / r.sum(), c / c.sum()), rel=1e-9)
    exp = chisquare(c, r / r.sum() * c.sum())
    assert got["chisquare"] == pytest.approx(exp.statistic, rel=1e-6)
    assert got["chisquare_pvalue"] == pytest.approx(exp.pvalue, rel=1e-6, abs=1e-300)


def test_unseen_categories_are_counted():
    got = categorical_scores({"a": 5, "b": 5}, {"a": 3, "z": 1})
    assert got["unseen_share"] == 0.25


def test_benjamini_hochberg_matches_the_definition():
    p = [0.01, 0.04, 0.03, 0.005, 0.5, float("nan")]
    adj = benjamini_hochberg(p)
    vals = np.array(p[:5])
    m = 5
    order = np.argsort(vals)
    expected = np.empty(m)
    for rank, i in enumerate(order, start=1):  # min over j >= rank of p_(j) * m / j
        expected[i] = min(min(vals[order[j - 1]] * m / j for j in range(rank, m + 1)), 1.0)
    assert np.allclose(adj[:5], expected)
    assert np.isnan(adj[5])
    # 0.04 alone would pass alpha 0.05; after correction it does not
    assert adj[1] >= 0.05 and adj[3] < 0.05
