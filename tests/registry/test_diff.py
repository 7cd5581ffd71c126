"""`registry diff`: metrics, scorecard, data fingerprint and profile, config and library deltas."""

from __future__ import annotations

import pytest

from mlbp.engine.errors import MlbpError
from mlbp.registry.diff import diff_versions, render_text
from mlbp.registry.policy import Policy
from mlbp.registry.store import Registry


def _profile(mean: float, web: int, extra: bool = False) -> dict:
    cols = {"amount": {"kind": "numeric", "mean": mean, "std": 2.0, "null_share": 0.0},
            "channel": {"kind": "categorical", "counts": {"app": 1000 - web, "web": web}, "null_share": 0.0}}
    if extra:
        cols["age"] = {"kind": "numeric", "mean": 40.0, "std": 9.0, "null_share": 0.1}
    return {"rows": 1000, "columns": cols}


def test_diff_reports_every_kind_of_change(tmp_path, bundle_factory):
    reg = Registry(f"sqlite:///{tmp_path / 'r.db'}", tmp_path / "reg", Policy())
    for seed, auc, mean, web, lr, extra in (("a", 0.70, 10.0, 400, 0.1, False), ("b", 0.75, 13.0, 700, 0.05, True)):
        b, sha = bundle_factory(seed, metrics={"roc_auc": auc}, profile=_profile(mean, web, extra))
        reg.register("m", b, sha, author="d", info={
            "metrics": {"roc_auc": auc},
            "scorecard": {"blessed": True, "primary": auc, "business": {"profit": 100 * auc}},
            "lineage": {"config": {"stack": {"learning_rate": lr}, "seed": 7},
                        "data_fingerprint": {"train": seed * 64},
                        "code": {"git_commit": seed * 40}}})
    d = diff_versions(reg, "m", "1", "v2")
    assert d["metrics"]["roc_auc"]["delta"] == pytest.approx(0.05)
    assert d["scorecard"]["business.profit"]["delta"] == pytest.approx(5.0)
    assert d["data"]["fingerprint"]["same"] is False
    prof = d["data"]["profile"]
    assert prof["columns"]["amount"]["shift_in_std"] == pytest.approx(1.5)
    assert prof["columns"]["channel"]["total_variation"] == pytest.approx(0.3)
    assert prof["added_columns"] == ["age"]
    assert d["config"]["changed"] == [{"key": "stack.learning_rate", "a": 0.1, "b": 0.05}]
    text = render_text(d)
    assert "~ stack.learning_rate: 0.1 -> 0.05" in text and "amount: mean shift 1.500" in text
    assert f"code: {'a' * 40} -> {'b' * 40}" in text
    same = diff_versions(reg, "m", 1, 1)
    assert same["metrics"] == {} and same["config"] == {"changed": [], "added": [], "removed": []}


def test_policy_config_errors_name_the_key():
    with pytest.raises(MlbpError, match="registry.policy.champion.checks"):
        Policy.from_config({"champion": {"checks": ["blessed", "vibes"]}})
    with pytest.raises(MlbpError, match="registry.policy.champion"):
        Policy.from_config({"champion": {"approval": 2}})
