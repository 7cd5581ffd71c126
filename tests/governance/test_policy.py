"""The policy: allow / mask (keyed, stable for joins) / deny per team and column class; the key's origin."""

from __future__ import annotations

import stat

import pandas as pd
import pytest

from mlbp.engine.errors import MlbpError, Reason
from mlbp.governance.policy import Policy, load_key, mask_series

SPEC = {
    "teams": {"ds": {"rules": {"pii": "mask", "sensitive": "allow"}},
              "mkt": {"rules": {"pii": "deny", "sensitive": "mask"}}},
    "classifications": {"email": "pii", "customer": "sensitive", "secret_score": "restricted"},
}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"email": ["a@x.io", "b@x.io", "a@x.io", None], "customer": ["c1", "c2", "c1", "c3"],
                         "secret_score": [1, 2, 3, 4], "amount": [1.0, 2.0, 3.0, 4.0]})


def test_rules_per_team_and_class():
    policy = Policy.from_spec(SPEC, key=b"k1")
    ds, rules = policy.apply(_frame(), "ds")
    assert rules == {"email": "mask", "customer": "allow", "secret_score": "deny", "amount": "allow"}
    assert list(ds.columns) == ["email", "customer", "amount"]  # an unlisted class is denied, not allowed
    assert ds["email"].iloc[0] == ds["email"].iloc[2] != ds["email"].iloc[1]  # stable: masked keys still join
    assert ds["email"].iloc[0].startswith("m_") and pd.isna(ds["email"].iloc[3])
    mkt, _ = policy.apply(_frame(), "mkt")
    assert list(mkt.columns) == ["customer", "amount"] and mkt["customer"].str.startswith("m_").all()


def test_mask_is_keyed():
    s = pd.Series(["a@x.io"])
    assert mask_series(s, b"k1").iloc[0] != mask_series(s, b"k2").iloc[0]
    assert mask_series(s, b"k1").iloc[0] == mask_series(s, b"k1").iloc[0]


def test_unknown_team_and_bad_rule_are_errors():
    with pytest.raises(MlbpError) as err:
        Policy.from_spec(SPEC, key=b"k").apply(_frame(), "sales")
    assert err.value.reason == Reason.POLICY and err.value.key == "team"
    bad = {"teams": {"ds": {"rules": {"pii": "hide"}}}}
    with pytest.raises(MlbpError, match=r"governance.teams.ds.rules.pii"):
        Policy.from_spec(bad, key=b"k")


def test_key_from_env_else_a_private_key_file(tmp_path, monkeypatch):
    monkeypatch.delenv("MLBP_MASK_KEY", raising=False)
    path = tmp_path / "state" / "mask.key"
    first = load_key("MLBP_MASK_KEY", path)
    assert len(first) == 64 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key("MLBP_MASK_KEY", path) == first  # created once, then reused: masks stay stable
    monkeypatch.setenv("MLBP_MASK_KEY", "from-env")
    assert load_key("MLBP_MASK_KEY", path) == b"from-env"
    monkeypatch.delenv("MLBP_MASK_KEY")
    with pytest.raises(MlbpError):
        load_key("MLBP_MASK_KEY", None)


def test_no_teams_means_no_policy():
    policy = Policy.from_spec({"teams": {}, "classifications": {"email": "pii"}})
    df, rules = policy.apply(_frame(), "anyone")
    assert df.equals(_frame()) and set(rules.values()) == {"allow"}


def test_the_key_is_never_printed():
    policy = Policy.from_spec(SPEC, key=b"super-secret-key")
    assert "super-secret-key" not in repr(policy) and "super-secret-key" not in str(policy)
