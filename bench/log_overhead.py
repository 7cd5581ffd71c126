"""Prediction-logging overhead on a served endpoint: requests/s with the PredictionLog on vs off.

    .venv/bin/python bench/log_overhead.py              # wrk, concurrency 32, 10 s per round, 4 rounds

    .venv/bin/python bench/log_overhead.py --bundle .mlbp/registry/<model>/v1   # the real `mlbp` server

With --bundle the rounds run against mlbp's own server (`python -m mlbp.deploy.rest.launch`, with and
without `--prediction-log`) on a golden row of that bundle. Without it, a stand-in: a minimal
FastAPI + uvicorn endpoint whose "model" is nearly free (a weighted sum), so the sink's cost is
measured against the cheapest possible request, the hardest case for the 0.9x target. Each request logs one
record with 12 inputs, the same shape `mlbp serve` hands the sink. Rounds alternate off/on so
noise from other processes on the machine hits both. Needs `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

APP = '''
import os, time, uuid
from fastapi import FastAPI, Request
from fastapi.responses import Response
import orjson
from mlbp.monitor.prediction_log import PredictionLog

sink = PredictionLog(os.environ["LOG_ROOT"]) if os.environ.get("LOG_ROOT") else None
app = FastAPI()
W = [0.1 * i for i in range(12)]

@app.post("/predict")
async def predict(request: Request) -> Response:
    t0 = time.perf_counter()
    row = orjson.loads(await request.body())
    score = sum(w * float(row[f"x{i}"]) for i, w in enumerate(W))
    out = {"probability": score / (1 + abs(score)), "prediction": int(score > 0)}
    rid = uuid.uuid4().hex
    if sink is not None:
        sink.write([{"request_id": rid, "time": time.time(), "model": "bench", "version": 1, "variant": "champion",
                     "inputs": row, "outputs": out, "latency_ms": (time.perf_counter() - t0) * 1000, "shadow": False}])
    return Response(orjson.dumps({"request_id": rid, **out}), media_type="application/json")

@app.on_event("shutdown")
def _close() -> None:
    if sink is not None:
        sink.close()
'''

LUA = '''
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '%s'
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_round(workdir: Path, log_root: Path | None, seconds: int, conns: int, bundle: Path | None = None) -> float:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(workdir)}
    env.pop("LOG_ROOT", None)
    if bundle is not None:
        cmd = [sys.executable, "-m", "mlbp.deploy.rest.launch", "--bundle", str(bundle), "--port", str(port)]
        if log_root is not None:
            cmd += ["--prediction-log", str(log_root)]
    else:
        if log_root is not None:
            env["LOG_ROOT"] = str(log_root)
        cmd = [sys.executable, "-m", "uvicorn", "bench_app:app", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=workdir, env=env)
    try:
        body = (workdir / "row.json").read_bytes()
        for _ in range(100):
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=body,
                                             headers={"Content-Type": "application/json"})
                urllib.request.urlopen(req, timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "-s", str(workdir / "post.lua"),
                              f"http://127.0.0.1:{port}/predict"], capture_output=True, text=True, check=True).stdout
        return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def sink_cost(n: int = 20_000) -> tuple[float, float]:
    """In-process CPU cost per record (µs): write() on the request thread, and the flush to Parquet.
    Deterministic where wrk on a shared machine is noisy."""
    from mlbp.monitor.prediction_log import PredictionLog

    recs = [{"request_id": f"r{i}", "time": time.time(), "model": "bench", "version": 1, "variant": "champion",
             "inputs": {f"x{j}": j * 0.5 for j in range(12)}, "outputs": {"probability": 0.3, "prediction": 1},
             "latency_ms": 0.2, "shadow": False} for i in range(n)]
    root = Path(tempfile.mkdtemp(prefix="mlbp-logcost-"))
    log = PredictionLog(root, flush_seconds=3600, flush_rows=10**9)
    log.write(recs[:10])
    log.flush()  # warm: imports pyarrow.parquet once, as a running server has
    t0 = time.thread_time()
    for r in recs:
        log.write([r])
    t_write = time.thread_time() - t0
    t0 = time.thread_time()
    log.flush()
    t_flush = time.thread_time() - t0
    log.close()
    shutil.rmtree(root, ignore_errors=True)
    return t_write / n * 1e6, t_flush / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--bundle", type=Path, help="measure mlbp's own server on this bundle's golden row")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="mlbp-logbench-"))
    (work / "bench_app.py").write_text(APP)
    row = {f"x{i}": i * 0.5 for i in range(12)}
    if args.bundle is not None:
        import pandas as pd

        sig = json.loads((args.bundle / "manifest.json").read_text())["signature"]
        feats = sig["numeric"] + sig["categorical"]
        golden = pd.read_parquet(args.bundle / "golden.parquet").iloc[[0]][feats]
        row = json.loads(golden.to_json(orient="records"))[0]
    (work / "row.json").write_text(json.dumps(row))
    (work / "post.lua").write_text(LUA % json.dumps(row))
    w_us, f_us = sink_cost()
    print(f"sink CPU per record: write() {w_us:.1f} µs on the request thread + flush {f_us:.1f} µs in the "
          "background thread")
    off, on, ratios = [], [], []
    for r in range(args.rounds):
        first_on = r % 2 == 1  # alternate the order so drifting machine load hits both sides
        pair = {}
        for logging_on in ((True, False) if first_on else (False, True)):
            pair[logging_on] = run_round(work, work / f"log{r}" if logging_on else None, args.seconds,
                                         args.connections, args.bundle)
        off.append(pair[False])
        on.append(pair[True])
        ratios.append(pair[True] / pair[False])
        print(f"round {r + 1}: logging off {off[-1]:8.0f} req/s   on {on[-1]:8.0f} req/s   ratio {ratios[-1]:.2f}")
    logged = sum(1 for _ in work.rglob("*.parquet"))
    per_req_us = 1e6 / (sum(off) / len(off))  # wall time per request at this concurrency, ~ CPU on a busy core
    print(f"c={args.connections}: mean off {sum(off) / len(off):.0f} req/s, on {sum(on) / len(on):.0f} req/s; "
          f"median per-round ratio {statistics.median(ratios):.2f}x (target >= 0.9x); {logged} Parquet files")
    print(f"CPU-based estimate: {per_req_us:.0f} µs per request vs {w_us + f_us:.1f} µs of logging -> "
          f"{per_req_us / (per_req_us + w_us + f_us):.2f}x")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
