"""The registry on SQLite and PostgreSQL: versions, aliases with history, approvals under the
policy, refusals that list everything missing, rollback, tags, archive and verification."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from mlbp.engine.errors import MlbpError, Reason
from mlbp.registry.policy import Policy
from mlbp.registry.store import Registry

POLICY = Policy.from_config(
    {"champion": {"approvals": {"count": 2, "roles": ["approver"], "each_of": ["lead"]},
                  "checks": ["blessed", "smoke_tests", "contract"]},
     "challenger": {"approvals": {"count": 1}, "checks": ["blessed"]},
     "*": {"approvals": 0}},
    roles={"alice": ["approver", "lead"], "bob": ["approver"], "dave": ["approver"], "eve": []},
    auto_rollback={"enabled": True, "alias": "champion", "severities": ["critical"]})


@pytest.fixture
def reg(db_url, tmp_path):
    return Registry(db_url, tmp_path / "reg", POLICY)


def test_register_is_idempotent_and_audited_with_lineage(reg, bundle_factory):
    b, sha = bundle_factory("a")
    v1 = reg.register("m", b, sha, author="dave", run_id="r1", info={"lineage": {"run_id": "r1"}})
    again = reg.register("m", b, sha, author="dave", run_id="r1")
    assert (v1["version"], v1["created_now"], again["version"], again["created_now"]) == (1, True, 1, False)
    assert (reg.root / "m" / "v1" / "manifest.json").exists()
    events = reg.audit.records(kind="register")
    assert len(events) == 1 and events[0]["actor"] == "dave" and events[0]["details"]["version"] == 1
    assert reg.get("m", 1)["info"]["lineage"]["run_id"] == "r1"


def test_promotion_is_refused_listing_every_missing_approval_and_check(reg, bundle_factory):
    b, sha = bundle_factory("a", blessed=False)
    reg.register("m", b, sha, author="dave")
    with pytest.raises(MlbpError) as err:
        reg.promote("m", 1, "champion", actor="bob")
    msg = str(err.value)
    assert err.value.reason == Reason.POLICY
    assert "approvals: 0 of 2" in msg and "none yet from a 'lead'" in msg
    assert "check blessed" in msg and "check smoke_tests" in msg
    assert reg.aliases("m") == {} and reg.history("m") == []
    assert [r["kind"] for r in reg.audit.records()] == ["register"]  # a refusal changes nothing


def test_author_may_not_approve_and_roles_are_required(reg, bundle_factory):
    b, sha = bundle_factory("a")
    reg.register("m", b, sha, author="dave")
    with pytest.raises(MlbpError, match="may not approve"):
        reg.approve("m", 1, "champion", actor="dave")
    with pytest.raises(MlbpError, match="none of the roles"):
        reg.approve("m", 1, "champion", actor="eve")
    assert reg.approvals("m", 1) == []


def test_full_promotion_then_rollback_walks_back_through_history(reg, bundle_factory):
    for i, seed in enumerate("abc", start=1):
        b, sha = bundle_factory(seed)
        reg.register("m", b, sha, author="dave")
        reg.record_check("m", i, "smoke_tests", True, {"requests": 3}, actor="ci")
        reg.approve("m", i, "champion", actor="alice", reason="looks good")
        with pytest.raises(MlbpError, match="approvals: 1 of 2"):
            reg.promote("m", i, "champion", actor="alice")
        reg.approve("m", i, "champion", actor="bob")
        assert reg.promote("m", f"v{i}", "champion", actor="alice", reason=f"release {i}")["after"] == i
    assert reg.aliases("m") == {"champion": 3}
    assert reg.rollback("m", "champion", actor="bob", reason="bad latency") == \
        {"model": "m", "alias": "champion", "before": 3, "after": 2}
    assert reg.rollback("m", "champion", actor="bob")["after"] == 1
    with pytest.raises(MlbpError, match="no previous holder"):
        reg.rollback("m", "champion", actor="bob")
    moves = [(h["action"], h["previous"], h["version"]) for h in reg.history("m", "champion")]
    assert moves == [("promote", None, 1), ("promote", 1, 2), ("promote", 2, 3), ("rollback", 3, 2),
                     ("rollback", 2, 1)]
    rb = reg.audit.records(kind="rollback")[0]
    assert (rb["actor"], rb["reason"], rb["details"]["before"], rb["details"]["after"]) == ("bob", "bad latency", 3, 2)
    assert reg.verify() == []


def test_contract_change_needs_acknowledgement(reg, bundle_factory, signature):
    changed = json.loads(json.dumps(signature))
    changed["inputs"]["channel"]["categories"] = ["app"]
    changed["inputs"]["age"] = {"kind": "numeric", "dtype": "float", "nullable": False}
    for seed, sig in (("a", signature), ("b", changed)):
        b, sha = bundle_factory(seed, signature=sig)
        v = reg.register("m", b, sha, author="dave")["version"]
        reg.record_check("m", v, "smoke_tests", True)
        reg.approve("m", v, "champion", actor="alice")
        reg.approve("m", v, "champion", actor="bob")
    reg.promote("m", 1, "champion", actor="alice")
    with pytest.raises(MlbpError) as err:
        reg.promote("m", 2, "champion", actor="alice")
    assert "new required input 'age'" in str(err.value) and "no longer accepts categories ['web']" in str(err.value)
    out = reg.promote("m", 2, "champion", actor="alice", acknowledge_contract=True, reason="clients updated")
    assert out["after"] == 2
    assert reg.audit.records(kind="promote")[-1]["details"]["contract_acknowledged"] is True


def test_smoke_result_is_read_from_the_declared_check_kinds(reg, bundle_factory, tmp_path):
    """Stages declare `check = "smoke"` and the manifest records it; names are never guessed from
    (a stage called `smoke_report` or a fact called `smoke` decides nothing)."""
    run = tmp_path / "run.json"
    b, sha = bundle_factory("a")
    reg.register("m", b, sha, author="dave", info={"scorecard": {"blessed": True},
                                                     "lineage": {"run_manifest": str(run)}})

    def smoke(stages: dict) -> bool | None:
        run.write_text(json.dumps({"stages": stages}))
        return reg.promotion_status("m", 1, "champion")["checks"].get("smoke_tests")

    stages = {"serve_check": {"target": "my.ServeProbe", "check": "smoke", "status": "done"},
              "golden_check": {"target": "my.GoldenProbe", "check": "smoke", "status": "failed"}}
    assert smoke(stages) is False
    stages["golden_check"]["status"] = "cached"
    assert smoke(stages) is True
    guessed = {"smoke_report": {"target": "mlbp.report.run_report.RunReport", "check": None, "status": "failed"},
               "deploy": {"target": "x.Deploy", "check": None, "status": "done", "facts": {"smoke": {"passed": False}}}}
    assert smoke({**stages, **guessed}) is True
    assert smoke(guessed) is None
    assert "no smoke-test result recorded" in " ".join(reg.promotion_status("m", 1, "champion")["missing"])
    # a manifest written before stages declared kinds: mlbp's own smoke stages still count
    old = {"serve_check": {"target": "mlbp.deploy.smoke.serve.ServeCheck", "status": "failed"}}
    assert smoke(old) is False


def test_the_pipeline_manifest_records_each_stages_check_kind(champion_project):
    run = json.loads(sorted(champion_project.glob("outputs/*/*/run.json"))[-1].read_text())
    kinds = {name: s.get("check") for name, s in run["stages"].items()}
    assert kinds["golden_check"] == "smoke" and kinds["batch_check"] == "smoke"
    assert kinds["train"] is None and kinds["register"] is None


def test_auto_rollback_on_critical_alert_only(reg, bundle_factory):
    for seed in "ab":
        b, sha = bundle_factory(seed)
        v = reg.register("m", b, sha, author="dave")["version"]
        reg.set_alias("m", "champion", v, actor="dave")
    assert reg.on_alert("m", {"severity": "warning", "message": "drift"}, via="test") is None
    out = reg.on_alert("m", {"severity": "critical", "message": "error rate 40%"}, via="test")
    assert out["after"] == 1 and reg.history("m")[-1]["action"] == "auto_rollback"
    assert "error rate 40%" in reg.audit.records(kind="auto_rollback")[0]["reason"]


def test_auto_rollback_is_off_unless_the_policy_enables_it(db_url, tmp_path, bundle_factory):
    reg = Registry(db_url, tmp_path / "reg2", Policy())
    for seed in "ab":
        b, sha = bundle_factory(seed)
        reg.set_alias("m", "champion", reg.register("m", b, sha, author="d")["version"])
    assert reg.on_alert("m", {"severity": "critical"}, via="test") is None and reg.aliases("m") == {"champion": 2}


def test_tags_archive_and_other_aliases(reg, bundle_factory):
    for seed in "ab":
        b, sha = bundle_factory(seed)
        reg.register("m", b, sha, author="dave")
    reg.promote("m", 2, "shadow", actor="eve")  # "*" policy: no approvals, no checks
    reg.set_tag("m", 1, "owner", "growth-team", actor="eve")
    assert reg.tags("m", 1) == {"owner": "growth-team"}
    with pytest.raises(MlbpError, match="still holds"):
        reg.archive("m", 2, actor="eve")
    assert reg.archive("m", 1, actor="eve", reason="superseded")["status"] == "archived"
    assert [r["kind"] for r in reg.audit.records()] == ["register", "register", "promote", "tag", "archive"]


def test_verify_detects_a_row_edited_with_raw_sql(reg, bundle_factory):
    b, sha = bundle_factory("a")
    reg.register("m", b, sha, author="dave")
    reg.promote("m", 1, "shadow", actor="eve", reason="try it")
    assert reg.verify() == []
    with reg.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    problems = reg.verify()
    assert any("record 2" in p and "edited" in p for p in problems)


def test_verify_detects_alias_moved_outside_the_registry_and_changed_bundle(reg, bundle_factory):
    for seed in "ab":
        b, sha = bundle_factory(seed)
        reg.register("m", b, sha, author="dave")
    reg.promote("m", 1, "shadow", actor="eve")
    with reg.engine.begin() as conn:
        conn.execute(text("UPDATE aliases SET version = 2"))
    (reg.root / "m" / "v1" / "model.joblib").write_bytes(b"swapped")
    problems = reg.verify()
    assert any("alias m:shadow is v2" in p for p in problems)
    assert any("bundle m v1" in p and "sha256 mismatch" in p for p in problems)


def test_an_unreachable_database_is_a_clear_error(tmp_path):
    with pytest.raises(MlbpError) as err:
        Registry("postgresql+psycopg://u:secret@127.0.0.1:1/none", tmp_path)
    assert err.value.key == "registry.db" and "secret" not in str(err.value) and "***" in str(err.value)
