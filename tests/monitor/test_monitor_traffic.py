"""Traffic: the bandit moves traffic to the better variant, keeps a floor, survives a restart;
sticky keys keep their variant; fixed split and shadow do what they say."""

from __future__ import annotations

import json
import random
import time

import pytest

from mlbp.engine.errors import MlbpError
from mlbp.monitor.traffic import FixedSplit, ShadowRouter, ThompsonRouter


def simulate(router, rates: dict[str, float], n: int, seed: int = 0) -> dict[str, int]:
    rng = random.Random(seed)
    served = dict.fromkeys(rates, 0)
    for _ in range(n):
        v, _ = router.choose(None)
        served[v] += 1
        router.reward(v, 1.0 if rng.random() < rates[v] else 0.0)
    return served


def test_bandit_converges_to_the_better_variant_and_keeps_the_floor(tmp_path):
    router = ThompsonRouter(["a", "b"], min_share=0.1, seed=1, state_path=tmp_path / "t.json")
    simulate(router, {"a": 0.05, "b": 0.25}, 3000)
    served = simulate(router, {"a": 0.05, "b": 0.25}, 2000, seed=1)  # after learning
    assert served["b"] / 2000 > 0.8
    assert served["a"] / 2000 >= 0.1 * 0.5 * 0.8  # the floor: uniform draws give `a` ~5% at least
    alloc = router.allocation()
    assert alloc["b"] > 0.85 and alloc["a"] >= 0.1 - 1e-9
    assert sum(alloc.values()) == pytest.approx(1.0)


def test_min_share_is_respected_even_when_one_variant_never_pays(tmp_path):
    router = ThompsonRouter(["a", "b", "c"], min_share=0.2, seed=2)
    served = simulate(router, {"a": 0.0, "b": 0.5, "c": 0.0}, 4000)
    for v in ("a", "c"):
        assert served[v] / 4000 > 0.2 / 3 * 0.8  # explore draws alone give each >= min_share/3... plus wins
    alloc = router.allocation()
    assert alloc["a"] >= 0.2 and alloc["c"] >= 0.2


def test_allocation_persists_across_restart(tmp_path):
    path = tmp_path / "traffic.json"
    r1 = ThompsonRouter(["a", "b"], min_share=0.05, seed=3, state_path=path)
    simulate(r1, {"a": 0.1, "b": 0.4}, 1500)
    before = r1.allocation()
    r1.close()
    state = json.loads(path.read_text())
    assert state["posterior"]["b"][0] > state["posterior"]["a"][0]
    r2 = ThompsonRouter(["a", "b"], min_share=0.05, seed=4, state_path=path)
    assert r2.allocation() == pytest.approx(before)
    assert r2.stats()["b"]["rewards"] == r1.stats()["b"]["rewards"]
    fresh = ThompsonRouter(["a", "b"], min_share=0.05)
    assert fresh.allocation()["b"] == pytest.approx(0.5, abs=0.05)


def test_sticky_key_keeps_its_variant_within_the_window(tmp_path):
    router = FixedSplit({"a": 0.5, "b": 0.5}, sticky_seconds=3600, seed=5, state_path=tmp_path / "s.json")
    firsts = {k: router.choose(k)[0] for k in (f"user{i}" for i in range(200))}
    assert set(firsts.values()) == {"a", "b"}
    for _ in range(5):
        for k, v in firsts.items():
            assert router.choose(k)[0] == v
    router.close()
    assert "user7" not in (tmp_path / "s.json").read_text()  # caller keys are stored as digests only
    again = FixedSplit({"a": 0.5, "b": 0.5}, sticky_seconds=3600, seed=6, state_path=tmp_path / "s.json")
    assert all(again.choose(k)[0] == v for k, v in firsts.items())  # sticky map survives a restart


def test_sticky_assignment_expires():
    from mlbp.monitor.traffic import _digest

    router = FixedSplit({"a": 1.0, "b": 0.0}, sticky_seconds=60)
    router._sticky[_digest("k")] = ("b", time.time())  # assigned to b a moment ago (before weights changed)
    assert router.choose("k")[0] == "b"
    router._sticky[_digest("k")] = ("b", time.time() - 61)  # assigned longer ago than the window
    assert router.choose("k")[0] == "a"
    assert router.choose("k")[0] == "a"  # and the new assignment sticks


def test_fixed_split_matches_weights():
    router = FixedSplit({"champion": 0.8, "challenger": 0.2}, seed=8, sticky_seconds=0)
    served = [router.choose(None)[0] for _ in range(5000)]
    assert served.count("challenger") / 5000 == pytest.approx(0.2, abs=0.03)
    assert router.allocation() == {"champion": 0.8, "challenger": 0.2}


def test_shadow_serves_primary_and_names_shadows():
    router = ShadowRouter("champion", ["challenger"])
    assert router.choose("anyone") == ("champion", ["challenger"])
    assert router.allocation() == {"champion": 1.0, "challenger": 0.0}


def test_bad_configs_name_the_key():
    with pytest.raises(MlbpError) as err:
        ThompsonRouter(["a", "b"], min_share=0.6)
    assert err.value.key == "monitor.traffic.min_share"
    with pytest.raises(MlbpError):
        ThompsonRouter(["a", "a"])
    with pytest.raises(MlbpError):
        ThompsonRouter(["a", "b"]).reward("z", 1.0)
