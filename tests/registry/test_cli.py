"""`mlbp registry ...` end to end through the CLI on the project's default SQLite registry."""

from __future__ import annotations

import json
import sqlite3

import pytest

from mlbp.cli import main
from mlbp.registry.policy import Policy
from mlbp.registry.store import Registry


@pytest.fixture
def project(project_dir, bundle_factory, monkeypatch):
    monkeypatch.delenv("MLBP_ADMIN_KEY", raising=False)
    reg = Registry(f"sqlite:///{project_dir / '.mlbp' / 'mlbp.db'}", project_dir / ".mlbp" / "registry", Policy())
    for seed, auc in (("a", 0.70), ("b", 0.74)):
        b, sha = bundle_factory(seed, metrics={"roc_auc": auc})
        reg.register("restaurant-offers", b, sha, author="dave")
        reg.record_check("restaurant-offers", reg.versions("restaurant-offers")[-1], "smoke_tests", True)
    return project_dir


def as_(monkeypatch, actor):
    monkeypatch.setenv("MLBP_ACTOR", actor)


def test_approve_promote_rollback_history_through_the_cli(project, monkeypatch, capsys):
    as_(monkeypatch, "bob")
    assert main(["registry", "promote", "1", "champion"]) == 1  # refused: nobody approved
    err = capsys.readouterr().err
    assert "approvals: 0 of 2" in err and "none yet from a 'lead'" in err
    for version in ("1", "2"):
        for who in ("alice", "bob"):
            as_(monkeypatch, who)
            assert main(["registry", "approve", version, "champion", "registry.reason=reviewed"]) == 0
    as_(monkeypatch, "alice")
    assert main(["registry", "promote", "1", "champion"]) == 0
    assert main(["registry", "promote", "v2", "champion", "registry.reason=better auc"]) == 0
    assert "v1 -> v2" in capsys.readouterr().out
    as_(monkeypatch, "carol")
    assert main(["registry", "rollback", "champion", "registry.reason=alerts"]) == 0
    assert "v2 -> v1" in capsys.readouterr().out
    assert main(["registry", "history"]) == 0
    out = capsys.readouterr().out
    assert "rollback" in out and "carol" in out
    assert main(["registry", "list"]) == 0 and "champion" in capsys.readouterr().out
    assert main(["registry", "show", "champion"]) == 0 and "restaurant-offers v1" in capsys.readouterr().out
    assert main(["registry", "diff", "1", "2"]) == 0
    assert "roc_auc: 0.7 -> 0.74" in capsys.readouterr().out
    assert main(["registry", "diff", "1", "2", "registry.format=json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["roc_auc"]["b"] == 0.74
    assert main(["registry", "card", "1"]) == 0
    card = (project / "outputs" / "model_cards" / "restaurant-offers" / "v1" / "model_card.md").read_text()
    assert "## Approvals" in card and "alice" in card and "rollback" in card
    assert main(["registry", "tag", "2", "owner", "growth"]) == 0
    assert main(["registry", "archive", "2", "registry.reason=superseded"]) == 0
    assert main(["registry", "archive", "1"]) == 1  # still the champion
    assert "still holds ['champion']" in capsys.readouterr().err
    assert main(["registry", "audit"]) == 0
    out = capsys.readouterr().out
    assert "archive" in out and "superseded" in out and "tag" in out
    assert main(["registry", "verify"]) == 0


def test_verify_exits_nonzero_after_raw_sql_tampering(project, capsys):
    assert main(["registry", "verify"]) == 0
    with sqlite3.connect(project / ".mlbp" / "mlbp.db") as conn:
        conn.execute("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 1")
    assert main(["registry", "verify"]) == 2
    assert "record 1: content does not match its hash" in capsys.readouterr().out


def test_unknown_version_is_a_clear_error(project, capsys):
    assert main(["registry", "show", "9"]) == 1
    assert "has no version 9" in capsys.readouterr().err


def test_strict_preset_composes_and_turns_off_the_first_champion(project_dir, capsys):
    assert main(["registry", "list", "registry=strict", "--cfg", "job"]) == 0
    out = capsys.readouterr().out
    assert "first_champion: 'off'" in out and "enabled: true" in out
