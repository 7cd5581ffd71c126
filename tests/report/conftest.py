"""Report fixtures: a populated registry (real bundles, approvals, moves) and an outputs folder
with what runs, sweeps and monitors leave behind."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mlbp.registry.bundle import write_manifest
from mlbp.registry.policy import Policy
from mlbp.registry.store import Registry

SIGNATURE = {"task": "binary", "numeric": ["amount"], "categorical": ["channel"],
             "inputs": {"amount": {"kind": "numeric", "dtype": "float", "nullable": False},
                        "channel": {"kind": "categorical", "dtype": "str", "categories": ["app", "web"]}}}
POLICY = Policy.from_config({"champion": {"approvals": {"count": 1, "roles": ["approver"]}, "checks": ["blessed"]}},
                            roles={"alice": ["approver"], "bob": ["approver"], "admin": ["approver"]})


def _bundle(folder: Path, seed: str, auc: float, mean: float) -> tuple[Path, str]:
    folder.mkdir(parents=True)
    (folder / "model.joblib").write_bytes(seed.encode())
    (folder / "profile.json").write_text(json.dumps({"rows": 1000, "columns": {
        "amount": {"kind": "numeric", "mean": mean, "std": 2.0, "null_share": 0.0},
        "channel": {"kind": "categorical", "counts": {"app": 600, "web": 400}, "null_share": 0.0}}}))
    write_manifest(folder, {"name": "shop", "stack": "lightgbm", "signature": SIGNATURE, "threshold": 0.3,
                            "metrics": {"roc_auc": auc, "brier": 0.11},
                            "training_data": {"rows": 1000},
                            "scorecard": {"blessed": True, "primary_metric": "roc_auc", "primary": auc,
                                          "failed_rules": []}})
    return folder, hashlib.sha256(seed.encode()).hexdigest()


@pytest.fixture
def registry(tmp_path) -> Registry:
    reg = Registry(f"sqlite:///{tmp_path / 'r.db'}", tmp_path / "reg", POLICY)
    for i, (auc, mean) in enumerate(((0.70, 10.0), (0.74, 11.0), (0.72, 10.5)), start=1):
        b, sha = _bundle(tmp_path / "bundles" / str(i), f"b{i}", auc, mean)
        info = {"scorecard": {"blessed": True, "primary_metric": "roc_auc", "primary": auc, "failed_rules": [],
                              "business": {"profit_per_1000_rows": 400.0 + i},
                              "slices": [{"slice": "channel=app", "roc_auc": auc + 0.01, "rows": 600},
                                         {"slice": "channel=web", "roc_auc": auc - 0.02, "rows": 400}]},
                "metrics": {"roc_auc": auc, "brier": 0.11},
                "lineage": {"run_id": f"run-{i}", "config": {"project": "shop", "target": "bought", "task": "binary",
                                                             "seed": i, "registry": {"card": {
                                                                 "intended_use": "Rank shoppers for a coupon.",
                                                                 "owners": ["growth"]}}},
                            "data_fingerprint": {"train": f"{i}" * 64}, "code": {"git_commit": f"{i}" * 40}}}
        reg.register("shop", b, sha, author="dave", run_id=f"run-{i}", info=info)
    reg.approve("shop", 1, "champion", actor="alice", reason="good lift")
    reg.promote("shop", 1, "champion", actor="alice", reason="first release")
    reg.approve("shop", 2, "champion", actor="bob")
    reg.promote("shop", 2, "champion", actor="bob", reason="better auc")
    reg.rollback("shop", "champion", actor="alice", reason="latency alert")
    return reg


@pytest.fixture
def outputs(tmp_path) -> Path:
    root = tmp_path / "outputs"
    run = root / "2026-11-27" / "10-00-00"
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"run_id": "20261127-100000-abc123", "status": "done", "user": "dave",
                                              "config": {"project": "shop"},
                                              "stages": {"train": {"cache_hit": False}, "report": {}}}))
    (run / "report.html").write_text("<html><body><h1>Run report shop</h1></body></html>")
    sweep = root / "multirun" / "2026-11-27" / "11-00-00"
    sweep.mkdir(parents=True)
    (sweep / "leaderboard.json").write_text(json.dumps({"rows": [
        {"rank": 1, "job": "0_stack=lightgbm", "stack": "lightgbm", "primary_metric": "roc_auc", "primary": 0.74,
         "blessed": True, "cv_runs": [0.73, 0.75], "profit_curve": [[0.1, 3.0]]},
        {"rank": 2, "job": "1_stack=logistic", "stack": "logistic", "primary_metric": "roc_auc", "primary": 0.69,
         "blessed": False, "cv_runs": [0.68, 0.7], "profit_curve": [[0.1, 2.0]]}]}))
    mon = root / "monitor" / "2026-11-27"
    mon.mkdir(parents=True)
    (mon / "monitor_report.json").write_text(json.dumps({"model": "shop", "rows": 5000, "alerts": [
        {"severity": "critical", "name": "error_rate", "message": "error rate 12% > 5%"},
        {"severity": "warning", "name": "drift", "message": "amount drifted (PSI 0.31)"}]}))
    return root
