"""Prediction-logging overhead on a served endpoint: requests/s with the PredictionLog on vs off.

    .venv/bin/python bench/log_overhead.py              # wrk, concurrency 32, 10 s per round, 2 rounds each

The deployment's REST server lives on another branch; this stand-in is a minimal FastAPI +
uvicorn endpoint whose "model" is nearly free (a weighted sum), so the sink's cost is measured
against the cheapest possible request, the hardest case for the 0.9x target. Each request logs one
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


def run_round(workdir: Path, log_root: Path | None, seconds: int, conns: int) -> float:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(workdir)}
    env.pop("LOG_ROOT", None)
    if log_root is not None:
        env["LOG_ROOT"] = str(log_root)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench_app:app", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning", "--no-access-log"], cwd=workdir, env=env)
    try:
        body = json.dumps({f"x{i}": i * 0.5 for i in range(12)}).encode()
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="mlbp-logbench-"))
    (work / "bench_app.py").write_text(APP)
    (work / "post.lua").write_text(LUA % json.dumps({f"x{i}": i * 0.5 for i in range(12)}))
    off, on = [], []
    for r in range(args.rounds):
        off.append(run_round(work, None, args.seconds, args.connections))
        on.append(run_round(work, work / f"log{r}", args.seconds, args.connections))
        print(f"round {r + 1}: logging off {off[-1]:8.0f} req/s   on {on[-1]:8.0f} req/s")
    logged = sum(1 for _ in work.rglob("*.parquet"))
    ratio = (sum(on) / len(on)) / (sum(off) / len(off))
    print(f"c={args.connections}: mean off {sum(off) / len(off):.0f} req/s, on {sum(on) / len(on):.0f} req/s "
          f"-> {ratio:.2f}x (target >= 0.9x); {logged} Parquet files written")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
