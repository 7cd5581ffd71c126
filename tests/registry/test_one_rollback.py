"""One rollback rule, `registry.auto_rollback`: the same critical alert rolls the champion back
whether `mlbp monitor` raises it or the dashboard (`mlbp ui`) receives it on /api/alerts, and the
audit trail gets the same record either way."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mlbp.cli import main
from mlbp.registry.store import registry_of
from tests.monitor.monitor_fixtures import bundle_dir, synthetic_records, write_log

MODEL = "restaurant-offers"
ADMIN_KEY = "admin-key-for-the-rollback-test"
RULE = ["registry.auto_rollback.enabled=true"]


@pytest.fixture
def project(champion_project, tmp_path, monkeypatch):
    """A copy of the shared project where the champion moved from v1 to v2 (so it can go back)."""
    root = tmp_path / "project"
    shutil.copytree(champion_project, root, ignore=shutil.ignore_patterns("outputs"))
    monkeypatch.chdir(root)
    return root


def _registry(root: Path):
    return registry_of({"db": f"sqlite:///{root}/.mlbp/mlbp.db", "root": root / ".mlbp" / "registry"})


def _promote_v2(root: Path) -> None:
    reg = _registry(root)
    if len(reg.versions(MODEL)) < 2:
        reg.register(MODEL, bundle_dir(root), "f" * 64)  # a second version (never loaded here)
    reg.set_alias(MODEL, "champion", 2, actor="alice", reason="release 2")
    assert reg.aliases(MODEL)["champion"] == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rollbacks(root: Path) -> list[dict]:
    return _registry(root).audit.records(kind="auto_rollback")


def test_monitor_and_dashboard_roll_back_by_the_same_rule(project, tmp_path):
    _promote_v2(project)
    now = time.time()
    preds, _ = synthetic_records(bundle_dir(project), 400, seed=5, start=now - 600, span_s=500, error_share=0.3)
    write_log(tmp_path / "log", preds)

    # 1. mlbp monitor: the default error-rate rule fires critical (30% errors); the rule is off ...
    args = ["monitor", "monitor.version=1", f"monitor.prediction_log.root={tmp_path / 'log'}",
            f"monitor.window.start={now - 700}", f"monitor.window.end={now}"]
    assert main([*args, f"monitor.state={tmp_path / 'off'}", f"hydra.run.dir={tmp_path / 'off-run'}"]) == 2
    assert _registry(project).aliases(MODEL)["champion"] == 2 and _rollbacks(project) == []
    # ... and on: the champion goes back to v1
    assert main([*args, *RULE, f"monitor.state={tmp_path / 'on'}", f"hydra.run.dir={tmp_path / 'on-run'}"]) == 2
    assert _registry(project).aliases(MODEL)["champion"] == 1
    sent = [json.loads(x) for x in (tmp_path / "on" / "alerts.jsonl").read_text().splitlines()]
    alert = next(a for a in sent if a["severity"] == "critical")

    # 2. the dashboard, as `mlbp ui` serves it, receives that alert as the monitor's webhook posts it
    _promote_v2(project)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mlbp.cli", "ui", f"registry.ui.port={port}", *RULE],
                            cwd=project, env={**os.environ, "MLBP_ADMIN_KEY": ADMIN_KEY},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()
            try:
                httpx.get(f"{base}/", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        r = httpx.post(f"{base}/api/alerts?key={ADMIN_KEY}", json={"text": "critical", "mlbp": alert})
        assert r.status_code == 200, r.text
        assert r.json()["rollback"] == {"model": MODEL, "alias": "champion", "before": 2, "after": 1}
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert _registry(project).aliases(MODEL)["champion"] == 1

    # 3. the audit trail: the same record twice, differing only in the way the alert came
    by_monitor, by_dashboard = _rollbacks(project)
    for rec in (by_monitor, by_dashboard):
        assert rec["actor"] == "monitor" and rec["subject"] == f"{MODEL}:champion"
        assert (rec["details"]["before"], rec["details"]["after"]) == (2, 1)
        assert alert["message"] in rec["reason"]
    assert by_monitor["reason"] == by_dashboard["reason"]
    assert {k: v for k, v in by_monitor["details"].items() if k != "via"} == \
        {k: v for k, v in by_dashboard["details"].items() if k != "via"}
    assert (by_monitor["details"]["via"], by_dashboard["details"]["via"]) == ("mlbp monitor", "dashboard /api/alerts")
