"""Personal keys: who acts is whoever holds the key. One key cannot approve as two people, the
shared admin key stops acting once keys exist, keys are stored hashed, created and revoked by an
admin, and every step is in the audit trail — through the CLI and through the dashboard."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from mlbp.cli import main
from mlbp.registry.policy import Policy
from mlbp.registry.store import Registry

ROLES = "registry.roles={alice:[admin,approver,lead],bob:[approver],carol:[approver]}"
MODEL = "restaurant-offers"


@pytest.fixture
def project(project_dir, bundle_factory, monkeypatch):
    for var in ("MLBP_ADMIN_KEY", "MLBP_KEY", "MLBP_ACTOR"):
        monkeypatch.delenv(var, raising=False)
    reg = Registry(f"sqlite:///{project_dir / '.mlbp' / 'mlbp.db'}", project_dir / ".mlbp" / "registry", Policy())
    b, sha = bundle_factory("a", metrics={"roc_auc": 0.7})
    reg.register(MODEL, b, sha, author="dave")
    reg.record_check(MODEL, 1, "smoke_tests", True)
    return project_dir


def _registry(project) -> Registry:
    return Registry(f"sqlite:///{project / '.mlbp' / 'mlbp.db'}", project / ".mlbp" / "registry", Policy())


def _create(capsys, holder: str, *extra: str) -> str:
    assert main(["registry", "keys", "create", holder, ROLES, *extra]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("mlbpk_") and len(key) > 40
    return key


def test_keys_are_made_by_admins_stored_hashed_and_revocable(project, capsys):
    alice = _create(capsys, "alice")  # the first key: anyone who can open the registry
    # from now on keys are managed by an admin, with their own key
    assert main(["registry", "keys", "create", "bob", ROLES]) != 0
    assert "gives each person a key" in capsys.readouterr().err
    bob = _create(capsys, "bob", f"registry.key={alice}")
    assert main(["registry", "keys", "create", "carol", ROLES, f"registry.key={bob}"]) != 0
    assert "bob may not manage keys" in capsys.readouterr().err
    assert main(["registry", "keys", "create", "x y", ROLES, f"registry.key={alice}"]) != 0
    assert "key holder is a name" in capsys.readouterr().err

    raw = (project / ".mlbp" / "mlbp.db").read_bytes()
    assert alice.encode() not in raw and bob.encode() not in raw  # only hashes are kept
    assert main(["registry", "keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert "alice" in listing and "bob" in listing and alice not in listing and alice[:12] in listing

    assert main(["registry", "keys", "revoke", "bob", ROLES, f"registry.key={alice}"]) == 0
    assert main(["registry", "approve", "1", "challenger", ROLES, f"registry.key={bob}"]) != 0
    assert "unknown or revoked key" in capsys.readouterr().err
    kinds = [(r["kind"], r["actor"], r["subject"]) for r in _registry(project).audit.records()
             if r["kind"].startswith("key_")]
    assert kinds == [("key_create", _login(), "key:alice"), ("key_create", "alice", "key:bob"),
                     ("key_revoke", "alice", "key:bob")]


def _login() -> str:
    import getpass

    return getpass.getuser()


def test_one_key_is_one_person_on_the_command_line(project, capsys):
    alice = _create(capsys, "alice")
    bob = _create(capsys, "bob", f"registry.key={alice}")
    # alice approves, then tries to approve again as carol, and without her key as bob
    assert main(["registry", "approve", "1", "champion", ROLES, f"registry.key={alice}"]) == 0
    assert main(["registry", "approve", "1", "champion", ROLES, f"registry.key={alice}",
                 "registry.actor=carol"]) != 0
    assert "the key belongs to alice; it cannot act as carol" in capsys.readouterr().err
    assert main(["registry", "approve", "1", "champion", ROLES, "registry.actor=bob"]) != 0
    assert "gives each person a key" in capsys.readouterr().err
    assert main(["registry", "promote", "1", "champion", ROLES, f"registry.key={alice}"]) != 0
    assert "approvals: 1 of 2" in capsys.readouterr().err  # four eyes: one holder is one approval
    assert main(["registry", "approve", "1", "champion", ROLES, f"registry.key={bob}"]) == 0
    assert main(["registry", "promote", "1", "champion", ROLES, f"registry.key={alice}"]) == 0
    reg = _registry(project)
    assert reg.aliases(MODEL)["champion"] == 1
    assert [a["actor"] for a in reg.approvals(MODEL, 1, "champion")] == ["alice", "bob"]
    assert reg.history(MODEL)[-1]["actor"] == "alice"


@pytest.fixture
def dashboard(project):
    from mlbp.report.dashboard.app import create_app
    from tests.asgi_server import served

    reg = Registry(f"sqlite:///{project / '.mlbp' / 'mlbp.db'}", project / ".mlbp" / "registry",
                   Policy.from_config({"champion": {"approvals": {"count": 2, "roles": ["approver"]},
                                                    "checks": []}},
                                      roles={"alice": ["approver"], "bob": ["approver"]}))
    with served(create_app(reg, MODEL, project / "outputs", admin_key="shared-admin-key-1234")) as base:
        yield reg, base


def test_one_key_is_one_person_in_the_dashboard(dashboard):
    from mlbp.registry.keys import create_key, revoke_keys

    reg, base = dashboard
    with httpx.Client(base_url=base, timeout=10) as c:
        def act(action, key, **body):
            return c.post(f"/api/models/{MODEL}/{action}", json={"version": "1", "alias": "champion", **body},
                          headers={"X-MLBP-Key": key} if key else {})

        # before personal keys exist, the shared admin key acts, as `admin` and nobody else
        assert act("approve", "shared-admin-key-1234", actor="bob").status_code == 403
        alice, _ = create_key(reg, "alice", "ops")
        bob, _ = create_key(reg, "bob", "ops")
        # now the shared key only posts alerts; a name beside a key is not who acts
        r = act("approve", "shared-admin-key-1234")
        assert r.status_code == 403 and "only posts alerts" in r.json()["error"]
        r = act("approve", alice, actor="bob")
        assert r.status_code == 403 and "belongs to alice" in r.json()["error"]
        assert act("approve", alice).json()["actor"] == "alice"
        assert act("approve", alice).json()["new"] is False  # the same person twice is one approval
        r = act("promote", alice)
        assert r.status_code == 409 and "approvals: 1 of 2" in r.json()["error"]
        # a form post (the page's own form) carries the key in a field
        form = c.post(f"/api/models/{MODEL}/approve", data={"version": "1", "alias": "champion", "key": bob})
        assert form.status_code == 303
        assert act("promote", bob).json()["after"] == 1
        revoke_keys(reg, "bob", "ops")
        r = act("rollback", bob)
        assert r.status_code == 403 and "unknown or revoked key" in r.json()["error"]
        assert act("rollback", "", actor="alice").status_code == 403
    assert [a["actor"] for a in reg.approvals(MODEL, 1, "champion")] == ["alice", "bob"]
    moves = [(h["action"], h["actor"]) for h in reg.history(MODEL)]
    assert moves == [("promote", "bob")]


def test_the_key_store_is_a_real_table_without_secrets(project, capsys):
    key = _create(capsys, "alice")
    with sqlite3.connect(project / ".mlbp" / "mlbp.db") as db:
        cols = [r[1] for r in db.execute("PRAGMA table_info(api_keys)")]
        rows = db.execute("SELECT holder, key_sha256, prefix FROM api_keys").fetchall()
    assert "key_sha256" in cols and not any(c == "key" for c in cols)
    import hashlib

    assert rows == [("alice", hashlib.sha256(key.encode()).hexdigest(), key[:12])]
