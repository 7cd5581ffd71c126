"""A 4-candidate sweep on the bundled example: the parallel joblib launcher (the -m default,
n_jobs=2) vs Hydra's basic sequential launcher, side by side in the same run; then proof from the
run manifests that the data stages ran once per sweep (cache_hit false in exactly one job).

    python bench/sweep.py                    # 4 stacks, 30,000 rows
    python bench/sweep.py --rows 50000 --stacks hist_gbm,lightgbm,logistic,xgboost

Each sweep runs in a fresh project folder (its own store), so both compute the data stages once
and both pay the same start-up costs. Target: parallel at least 1.6x faster on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.6
DATA_STAGES = ("ingest", "validate")


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def sweep(project: Path, stacks: str, rows: int, launcher: str | None) -> tuple[float, float, list[dict]]:
    """(wall seconds, CPU seconds of the sweep's processes, run manifests)."""
    project.mkdir(parents=True)
    mlbp = Path(sys.executable).with_name("mlbp")
    cmd = [str(mlbp), "-m", f"stack={stacks}", f"data.source.n_rows={rows}", "hydra.job_logging.root.level=ERROR"]
    if launcher:
        cmd.append(f"hydra/launcher={launcher}")
    env = os.environ | {"PYTHONWARNINGS": "ignore"}
    cpu0, t0 = _child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, env=env)
    wall, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
    if proc.returncode != 0:
        sys.exit(f"sweep failed ({' '.join(cmd)}):\n{proc.stderr[-3000:]}")
    runs = [json.loads(p.read_text()) for p in sorted(project.glob("outputs/multirun/*/*/*/run.json"))]
    return wall, cpu, runs


def data_stage_proof(runs: list[dict]) -> dict[str, int]:
    return {s: sum(1 for r in runs if not r["stages"][s]["cache_hit"]) for s in DATA_STAGES}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=30000)
    ap.add_argument("--stacks", default="hist_gbm,lightgbm,logistic,xgboost")  # the order stack=glob(*) gives
    args = ap.parse_args()
    n = len(args.stacks.split(","))
    root = Path(tempfile.mkdtemp(prefix="mlbp-bench-sweep-"))
    try:
        print(f"{n}-candidate sweep ({args.stacks}) on {args.rows:,} example rows; {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}")
        seq_wall, seq_cpu, seq_runs = sweep(root / "sequential", args.stacks, args.rows, "basic")
        print(f"  sequential (hydra/launcher=basic):          {seq_wall:6.1f} s wall, {seq_cpu:6.1f} s CPU "
              f"({seq_cpu / seq_wall:.2f} cores busy)")
        par_wall, par_cpu, par_runs = sweep(root / "parallel", args.stacks, args.rows, None)
        print(f"  parallel   (default: joblib, n_jobs=2):     {par_wall:6.1f} s wall, {par_cpu:6.1f} s CPU "
              f"({par_cpu / par_wall:.2f} cores busy)")
        ratio = seq_wall / par_wall
        print(f"speedup: {ratio:.2f}x (target >= {TARGET}x) -> {'OK' if ratio >= TARGET else 'BELOW TARGET'}")
        print(f"  (on a machine shared with other work, 'cores busy' shows how much of the 2 cores each sweep got; "
              f"load average now {os.getloadavg()[0]:.1f})")
        ok = True
        for label, runs in (("sequential", seq_runs), ("parallel", par_runs)):
            proof = data_stage_proof(runs)
            once = all(v == 1 for v in proof.values()) and len(runs) == n
            ok &= once
            detail = ", ".join(f"{s} computed in {v} of {len(runs)} jobs" for s, v in proof.items())
            print(f"  {label}: {detail} -> {'ran once' if once else 'NOT once'}")
        board = json.loads(next((root / "parallel").glob("outputs/multirun/*/*/leaderboard.json")).read_text())
        winner = board.get("winner") or {}
        print(f"  leaderboard winner: {winner.get('stack')} (total {winner.get('total')})")
        return 0 if ok else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
