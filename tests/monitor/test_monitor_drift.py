"""Drift: injected shifts are found, large undrifted samples raise no alarm, alerts need persistence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from mlbp.data.profile import profile_frame
from mlbp.engine.errors import MlbpError
from mlbp.monitor.drift import DriftMonitor
from mlbp.monitor.window import Window


def frame(n: int, seed: int, shift: dict[str, float] | None = None, region_mix: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"x{i}": rng.normal(0, 1, n) for i in range(8)})
    df["amount"] = rng.lognormal(3, 0.5, n)
    df["level"] = rng.integers(0, 4, n)  # low cardinality: judged as categories
    df["region"] = rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1])
    for col, k in (shift or {}).items():
        df[col] = df[col] + k * df[col].std()
    if region_mix:
        df.loc[rng.random(n) < region_mix, "region"] = "west"
    return df


@pytest.fixture(scope="module")
def profile():
    return profile_frame(frame(200_000, 1))


def test_injected_shifts_are_detected(profile):
    res = DriftMonitor().compare(profile, frame(20_000, 2, shift={"x0": 0.4, "amount": 0.3}, region_mix=0.3))
    drifted = {c for c, r in res.items() if r["drifted"]}
    assert drifted == {"x0", "amount", "region"}
    assert res["x0"]["method"] == "wasserstein" and res["region"]["method"] == "jensenshannon"
    assert res["level"]["kind"] == "categorical"


def test_large_undrifted_sample_raises_no_false_alarm_where_raw_pvalues_would(profile):
    cur = frame(500_000, 3, shift={"x1": 0.02})  # a real but negligible shift on a huge sample
    raw_p = ks_2samp(frame(200_000, 1)["x1"], cur["x1"]).pvalue
    assert raw_p < 0.05  # a p-value-only rule would alarm here
    res = DriftMonitor().compare(profile, cur)
    assert not any(r["drifted"] for r in res.values()), {c: r["score"] for c, r in res.items()}
    # forcing the KS test: the effect-size floor still keeps the column quiet
    ks = DriftMonitor(numeric_method="ks").compare(profile, cur)
    assert ks["x1"]["pvalue_bh"] < 0.05 and not ks["x1"]["drifted"]


def test_small_samples_use_tests_with_bh_correction(profile):
    res = DriftMonitor().compare(profile, frame(400, 4, shift={"x2": 1.0}))
    assert res["x2"]["method"] == "ks" and res["region"]["method"] == "chisquare"
    assert res["x2"]["drifted"] and "pvalue_bh" in res["x2"]
    assert res["x2"]["pvalue_bh"] >= res["x2"]["pvalue"]
    assert [c for c, r in res.items() if r["drifted"]] == ["x2"]


def test_per_column_method_and_threshold_override(profile):
    cur = frame(20_000, 5, shift={"x0": 0.15})
    default = DriftMonitor().compare(profile, cur)
    assert default["x0"]["drifted"]
    mon = DriftMonitor(per_column={"x0": {"method": "psi", "threshold": 0.5}, "x3": {"threshold": 0.001}})
    res = mon.compare(profile, cur)
    assert res["x0"]["method"] == "psi" and not res["x0"]["drifted"]
    assert res["x3"]["threshold"] == 0.001 and res["x3"]["drifted"]


def test_unknown_or_mismatched_method_is_a_config_error(profile):
    with pytest.raises(MlbpError) as err:
        DriftMonitor(per_column={"x0": {"method": "magic"}})
    assert err.value.key == "monitor.drift.per_column.x0.method"
    with pytest.raises(MlbpError) as err:
        DriftMonitor(per_column={"region": {"method": "wasserstein"}}).compare(profile, frame(100, 9))
    assert err.value.key == "monitor.drift.per_column.region.method"


def _window(df, profile, state, i):
    f = df.rename(columns=lambda c: f"in.{c}").assign(shadow=False, time=float(i))
    return Window(frame=f, start=i * 100.0, end=i * 100.0 + 99, manifest={"version": 1}, profile=profile,
                  state_dir=state)


def test_alert_needs_drift_in_consecutive_windows(profile, tmp_path):
    mon = DriftMonitor(persist_windows=2, predictions=False)
    drifted = frame(5_000, 6, shift={"x0": 0.5})
    clean = frame(5_000, 7)
    r1 = mon.run(_window(drifted, profile, tmp_path, 1))
    assert r1["drifted_columns"] == ["x0"] and not r1["alert"]
    r2 = mon.run(_window(clean, profile, tmp_path, 2))  # the streak breaks
    assert not r2["alert"]
    r3 = mon.run(_window(drifted, profile, tmp_path, 3))
    assert not r3["alert"]
    r3_again = mon.run(_window(drifted, profile, tmp_path, 3))  # re-running a window does not count twice
    assert not r3_again["alert"]
    r4 = mon.run(_window(drifted, profile, tmp_path, 4))
    assert r4["alert"] and r4["persistent_columns"] == ["x0"]
    assert [h["window"] for h in r4["history"]][-2:] == ["300.000-399.000", "400.000-499.000"]
