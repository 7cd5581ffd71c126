"""`mlbp score` and `mlbp serve` as a user runs them, and the server built from config (the
monitor's sink and router come from `monitor.prediction_log` / `monitor.traffic`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pandas as pd
from omegaconf import OmegaConf

from mlbp.cli import main
from mlbp.compose.cmd_deploy import build_server

from .conftest import running


def test_mlbp_score_with_the_champion(example, golden, tmp_path, monkeypatch):
    monkeypatch.chdir(example["root"])
    src = tmp_path / "in.csv"
    golden.drop(columns=[c for c in golden.columns if c.startswith("expected_")]).to_csv(src, index=False)
    out = tmp_path / "scored"
    assert main(["score", str(src), f"deploy.score.output={out}", "deploy.batch.n_jobs=1"]) == 0
    scores = pd.read_parquet(out / "scores")
    assert len(scores) == len(golden) and set(scores["model_version"]) == {"1"}
    assert (scores.sort_values("offer_id")["prediction"].to_numpy()
            == golden.sort_values("offer_id")["expected_prediction"].to_numpy()).all()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mlbp_serve_starts_answers_and_stops_on_sigterm(example, good_row):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mlbp.cli", "serve", f"deploy.rest.port={port}",
                             "deploy.rest.poll_seconds=0"], cwd=example["root"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.2)
        meta = httpx.get(f"http://127.0.0.1:{port}/v2/models/restaurant-offers").json()
        assert meta["versions"] == ["1"] and meta["parameters"]["variant"] == "champion"
        assert httpx.post(f"http://127.0.0.1:{port}/predict", json=good_row).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal after its graceful shutdown, so the exit status is -SIGTERM
        assert proc.wait(timeout=20) in (0, -signal.SIGTERM)


def test_sink_and_router_come_from_monitor_config(example, good_row, tmp_path):
    import json

    log = tmp_path / "log" / "predictions.jsonl"
    cfg = OmegaConf.create({
        "paths": {"db": example["db"], "state": str(example["root"] / ".mlbp")},
        "registry": {"db": example["db"], "root": str(example["registry"])},
        "deploy": {"rest": {"model": "restaurant-offers", "alias": "champion", "bundle": None, "poll_seconds": 0,
                            "variants": {"champion": {"alias": "champion", "weight": 1},
                                         "shadowed": {"version": 1, "shadow": True}}}},
        "monitor": {"prediction_log": {"_target_": "mlbp.deploy.rest.sinks.JsonlSink", "path": str(log)},
                    "traffic": {"_target_": "mlbp.deploy.rest.routing.SplitRouter", "weights": {"champion": 1.0},
                                "shadow": ["shadowed"]}},
    })
    server, _rest = build_server(cfg)
    with running(server) as s, s.client() as c:
        rid = c.post("/predict", json=good_row).headers["x-request-id"]
        assert c.post("/feedback", json={"request_id": rid, "reward": 1.0}).status_code == 200
    # the sink was flushed on shutdown
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["shadow"] for r in records] == [False, True]
    assert {r["variant"] for r in records} == {"champion", "shadowed"}
    assert [json.loads(x)["request_id"] for x in log.with_suffix(".feedback.jsonl").read_text().splitlines()] == [rid]
