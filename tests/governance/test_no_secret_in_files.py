"""No configured secret is ever written to a file: after a full run, a served request with an API
key and a monitor run, every file under outputs/ and .mlbp/ (the registry database included: it
stores each version's lineage with the run's config) is searched for every secret, and none is
there. It used to be: run.json held the resolved admin key and the serving API keys, and Hydra's
`.hydra/` files the command line that carried them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pandas as pd

from mlbp.cli import main
from tests.deploy.conftest import free_port, mlbp_process

ADMIN = "ADMIN-SECRET-0f9e8d7c6b5a4f3e"
API = "API-SECRET-1a2b3c4d5e6f7a8b"
TOKEN = "TOKEN-SECRET-9z8y7x6w5v"
SECRETS = [ADMIN, API, TOKEN]
OVERRIDES = [f"deploy.rest.api_keys=[{{key: {API}, scopes: [predict, admin]}}]", f"+webhook_token={TOKEN}"]


def _files_holding(root: Path, secrets: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [s for s in secrets if s.encode() in data]
            if hits:
                found[str(path.relative_to(root))] = hits
    return found


def test_no_secret_reaches_any_file_after_run_serve_and_monitor(project_dir, monkeypatch):
    monkeypatch.setenv("MLBP_ADMIN_KEY", ADMIN)
    assert main([*OVERRIDES, "experiment=quick", "data.source.n_rows=3000"]) == 0
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    assert run["config"]["registry"]["ui"]["admin_key"] == "***"
    assert run["config"]["deploy"]["rest"]["api_keys"][0] == {"key": "***", "scopes": ["predict", "admin"]}

    golden = pd.read_parquet(project_dir / ".mlbp" / "registry" / "restaurant-offers" / "v1" / "golden.parquet")
    sig = json.loads((project_dir / ".mlbp" / "registry" / "restaurant-offers" / "v1" / "manifest.json").read_text())
    features = sig["signature"]["numeric"] + sig["signature"]["categorical"]
    row = {k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v))
           for k, v in golden.iloc[0][features].to_dict().items()}
    port = free_port()
    with mlbp_process(["serve", f"deploy.rest.port={port}", "deploy.rest.poll_seconds=0",
                       "deploy.rest.bundle=.mlbp/registry/restaurant-offers/v1", *OVERRIDES],
                      project_dir, "/v2/health/ready") as (_, _, base):
        assert httpx.post(base + "/predict", json=row, timeout=30).status_code == 401
        r = httpx.post(base + "/predict", json=row, headers={"X-API-Key": API}, timeout=30)
        assert r.status_code == 200, r.text
    assert main(["monitor", "monitor.version=1", *OVERRIDES]) in (0, 2)

    leaks = {**_files_holding(project_dir / "outputs", SECRETS),
             **{f".mlbp/{k}": v for k, v in _files_holding(project_dir / ".mlbp", SECRETS).items()}}
    assert leaks == {}


def test_what_counts_as_a_secret():
    from mlbp.engine.secrets import REDACTED, redact, redact_text, secret_values

    config = {"registry": {"ui": {"admin_key": ADMIN}}, "governance": {"key_env": "MLBP_MASK_KEY",
              "key_file": ".mlbp/mask.key"}, "deploy": {"rest": {"api_keys": [{"key": API, "scopes": ["predict"]}]}},
              "data": {"source": {"url": "postgresql://etl:pg-pass-77@db:5432/wh", "partition_key": "month",
                                  "keys": ["customer_id"]}}, "tokens": ["raw-token-value-1"], "password": ""}
    assert secret_values(config) == {ADMIN, API, "pg-pass-77", "raw-token-value-1"}
    out = redact(config, secret_values(config))
    assert out["registry"]["ui"]["admin_key"] == REDACTED and out["governance"]["key_env"] == "MLBP_MASK_KEY"
    assert out["deploy"]["rest"]["api_keys"] == [{"key": REDACTED, "scopes": ["predict"]}]
    assert out["data"]["source"] == {"url": "postgresql://etl:***@db:5432/wh", "partition_key": "month",
                                     "keys": ["customer_id"]}
    assert out["tokens"] == [REDACTED] and out["password"] == ""
    line = f"serve deploy.rest.api_keys=[{{key: {API}}}]"
    assert redact_text(line, {API}) == "serve deploy.rest.api_keys=[{key: ***}]"
