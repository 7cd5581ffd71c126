"""The register stage records lineage, writes an audited register event, and applies the
first-champion rule (auto / policy / off)."""

from __future__ import annotations

import logging

import pytest

from mlbp.engine.errors import MlbpError
from mlbp.engine.stage import StageContext
from mlbp.registry.register import Register
from mlbp.registry.store import Registry

POLICY = {"champion": {"approvals": {"count": 1}, "checks": ["blessed"]}}


def _run(stage: Register, bundle, tmp_path, run="r1"):
    out = tmp_path / f"out-{run}"
    out.mkdir()
    manifest = {"run_id": run, "user": "dave", "store": str(tmp_path / "store"),
                "config": {"project": "m", "target": "y", "task": "binary", "paths": {"root": str(tmp_path)},
                           "stack": {"name": "lightgbm"}},
                "stages": {"ingest": {"outputs": {"raw": "r" * 64}}, "validate": {"outputs": {"clean": "c" * 64}}}}
    ctx = StageContext("register", {"bundle": bundle}, {"registration": out}, tmp_path / "run",
                       logging.getLogger("t"), manifest=manifest)
    stage.run(ctx)
    return ctx


def _bundle(bundle_factory, seed, **kw):
    folder, sha = bundle_factory(seed, **kw)
    named = folder.with_name(sha)  # artifact folders are named by their content hash
    folder.rename(named)
    return named


@pytest.mark.parametrize("rule, champion", [("auto", 1), ("off", None), ("policy", None)])
def test_first_champion_rule(rule, champion, tmp_path, bundle_factory):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    stage = Register("m", db, str(tmp_path / "reg"), first_champion=rule, policy=POLICY)
    ctx = _run(stage, _bundle(bundle_factory, "a"), tmp_path)
    reg = Registry(db, tmp_path / "reg")
    assert reg.aliases("m").get("champion") == champion
    assert ctx.facts["champion"] is (champion is not None)
    kinds = [r["kind"] for r in reg.audit.records()]
    assert kinds == (["register", "auto_promote"] if rule == "auto" else ["register"])
    v = reg.get("m", 1)
    lineage = v["info"]["lineage"]
    assert v["author"] == "dave" and lineage["run_id"] == "r1"
    assert lineage["data_fingerprint"]["raw"] == "r" * 64 and lineage["config"]["stack"]["name"] == "lightgbm"
    assert lineage["run_manifest"].endswith("run/run.json")
    assert "git_commit" in lineage["code"] or lineage["code"] == {}


def test_policy_rule_promotes_when_the_policy_is_already_met(tmp_path, bundle_factory):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    stage = Register("m", db, str(tmp_path / "reg"), first_champion="policy",
                     policy={"champion": {"approvals": 0, "checks": ["blessed"]}})
    _run(stage, _bundle(bundle_factory, "a", blessed=False), tmp_path, "r1")
    assert Registry(db, tmp_path / "reg").aliases("m") == {}  # not blessed: no champion
    _run(stage, _bundle(bundle_factory, "b"), tmp_path, "r2")
    assert Registry(db, tmp_path / "reg").aliases("m") == {"champion": 2}


def test_unquoted_yaml_off_means_off():
    assert Register("m", "sqlite://", "x", first_champion=False).first_champion == "off"


def test_unknown_first_champion_rule_names_the_key():
    with pytest.raises(MlbpError, match="registry.first_champion"):
        Register("m", "sqlite://", "x", first_champion="sometimes")
