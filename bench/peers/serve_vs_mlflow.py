"""Every packaged stack served by `mlflow models serve` and by mlbp, side by side in one run.

For each stack in conf/stack the example is packaged once; MLflow (3.17.2, in its own virtualenv,
with lightgbm and xgboost at mlbp's versions and mlbp importable so the pipeline unpickles) saves
the same fitted pipeline with `mlflow.sklearn.save_model` and serves it as a user would
(`mlflow models serve --env-manager local`); mlbp serves the bundle (`python -m
mlbp.deploy.rest.launch`). `wrk` sends the same single-row `dataframe_split` body to
`/invocations` of both at c=1 and c=32, the servers interleaved round by round so a noisy
neighbour hits both alike; each figure is its best round.

Target (issue 35): mlbp's req/s at c=32 >= 30x MLflow's for every stack.

    python bench/peers/serve_vs_mlflow.py                  # every stack, 5 s per measurement
    python bench/peers/serve_vs_mlflow.py --quick          # 2 s, one round
    python bench/peers/serve_vs_mlflow.py --stacks logistic,lightgbm --seconds 10
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from serve import free_port, run_wrk  # noqa: E402  (bench/serve.py)

from tests.peers import PEERS, peer_python  # noqa: E402  (the peers' virtualenv helper)

CONCURRENCY = (1, 32)
CHEAP = ["evaluation.scorecard.cv.folds=2", "evaluation.scorecard.cv.seeds=[1]", "evaluation.scorecard.plots=false",
         "evaluation.scorecard.importance.repeats=1", "evaluation.scorecard.importance.rows=300",
         "evaluation.scorecard.serving.latency_rows=10", "~evaluation.thresholds.latency_p99_ms"]
SAVE = """
import sys
import mlflow.sklearn
from mlbp.registry.bundle import load
mlflow.sklearn.save_model(load(sys.argv[1]).model, sys.argv[2], pip_requirements=[], serialization_format='cloudpickle')
"""


def mlflow_python() -> Path:
    """MLflow's virtualenv for serving: the peer's pins plus the model libraries at mlbp's versions."""
    PEERS["mlflow-serve"] = [*PEERS["mlflow"], f"lightgbm=={metadata.version('lightgbm')}",
                             f"xgboost-cpu=={metadata.version('xgboost-cpu')}"]
    return peer_python("mlflow-serve")


def package(stacks: list[str], work: Path) -> dict[str, Path]:
    bundles = {}
    for stack in stacks:
        run_dir = work / "outputs" / stack
        subprocess.run([sys.executable, "-m", "mlbp.cli", "project=restaurant-offers", "target=redeemed", "task=binary",
                        "experiment=quick", "data.source.n_rows=4000",
                        f"stack={stack}", *CHEAP, "only=[package]", "data.assess.fail_run=false",
                        f"hydra.run.dir={run_dir}"], cwd=work, check=True, stdout=subprocess.DEVNULL)
        run = json.loads((run_dir / "run.json").read_text())
        bundles[stack] = work / ".mlbp" / "store" / "objects" / run["stages"]["package"]["outputs"]["bundle"]
    return bundles


def body_for(bundle: Path, path: Path) -> None:
    import pandas as pd

    sig = json.loads((bundle / "manifest.json").read_text())["signature"]
    feats = sig["numeric"] + sig["categorical"]
    row = pd.read_parquet(bundle / "golden.parquet")[feats].head(1)
    values = [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row.iloc[0]]
    path.write_text(json.dumps({"dataframe_split": {"columns": feats, "data": [values]}}))


def serve(cmd: list[str], env: dict[str, str], ready: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[0]} exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(ready, timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"not ready: {' '.join(cmd)}")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stacks", help="comma-separated; default: every stack in conf/stack")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="2 s per measurement, one round")
    a = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    seconds, repeat = (2, 1) if a.quick else (a.seconds, a.repeat)
    stacks = a.stacks.split(",") if a.stacks else sorted(p.stem for p in (ROOT / "conf" / "stack").glob("*.yaml"))
    python = mlflow_python()
    mlflow_bin = python.parent / "mlflow"
    work = Path(tempfile.mkdtemp(prefix="mlbp-bench-peers-"))
    bundles = package(stacks, work)
    peer_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    peer_env["PYTHONPATH"] = str(ROOT)  # the pipeline's own transformers unpickle from mlbp
    peer_env["PATH"] = f"{python.parent}{os.pathsep}{peer_env.get('PATH', '')}"  # mlflow starts its uvicorn
    results: dict[str, dict[str, dict[int, dict[str, float]]]] = {}
    for stack, bundle in bundles.items():
        model = work / "mlflow" / stack
        subprocess.run([str(python), "-c", SAVE, str(bundle), str(model)], env=peer_env, check=True,
                       capture_output=True)
        body = work / f"{stack}.json"
        body_for(bundle, body)
        servers = {
            "mlflow": lambda port, m=model: serve([str(mlflow_bin), "models", "serve", "-m", str(m), "-p", str(port),
                                                   "-h", "127.0.0.1", "--env-manager", "local"],
                                                  peer_env, f"http://127.0.0.1:{port}/ping"),
            "mlbp": lambda port, b=bundle: serve([sys.executable, "-m", "mlbp.deploy.rest.launch", "--bundle", str(b),
                                                  "--port", str(port)], dict(os.environ),
                                                 f"http://127.0.0.1:{port}/v2/health/ready"),
        }
        rounds: dict[str, dict[int, list[dict[str, float]]]] = {s: {c: [] for c in CONCURRENCY} for s in servers}
        for _ in range(repeat):
            for name, start in servers.items():
                port = free_port()
                proc = start(port)
                try:
                    for c in CONCURRENCY:
                        rounds[name][c].append(run_wrk(f"http://127.0.0.1:{port}/invocations", body, c, seconds))
                finally:
                    stop(proc)
        results[stack] = {s: {c: {"rps": max(r["rps"] for r in runs), "p50_ms": min(r["p50_ms"] for r in runs),
                                  "p99_ms": min(r["p99_ms"] for r in runs), "errors": sum(r["errors"] for r in runs)}
                              for c, runs in per.items()} for s, per in rounds.items()}
        fast = json.loads(subprocess.run([sys.executable, "-c", (
            "import sys, json; from mlbp.deploy.runtime.serving import load_serving; "
            "print(json.dumps(load_serving(sys.argv[1]).fast_path))"), str(bundle)],
            capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        results[stack]["runtime"] = fast  # type: ignore[assignment]
    print(f"\nsingle-row /invocations, best of {repeat} interleaved round(s) of {seconds}s; mlbp's runtime per stack")
    print(f"{'stack':14} {'server':7} {'conc':>4} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>9} {'errors':>6}")
    failed = []
    for stack, per in results.items():
        for name in ("mlflow", "mlbp"):
            for c in CONCURRENCY:
                r = per[name][c]
                print(f"{stack:14} {name:7} {c:>4} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>9.2f} "
                      f"{r['errors']:>6}")
        ratio = per["mlbp"][32]["rps"] / max(per["mlflow"][32]["rps"], 1e-9)
        ok = ratio >= 30 and not per["mlbp"][32]["errors"]
        failed += [] if ok else [stack]
        print(f"{stack:14} ratio at c=32: {ratio:.1f}x (target >= 30x): {'PASS' if ok else 'FAIL'}  "
              f"[{per['runtime']}]")
    print("all stacks pass" if not failed else f"below target: {', '.join(failed)}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
