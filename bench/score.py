"""Batch scoring benchmark, measured side by side in one run:

1. 1,000,000 rows: mlbp's batch scorer (read Parquet, check the signature, encode, predict, write
   Parquet with quarantine) vs the raw booster's `predict` on rows that are already encoded.
   Target: rows/s >= 0.9x the raw booster.
2. 5,000,000 rows from Parquet in a subprocess: peak memory (RSS of the process and its workers,
   summed, sampled from /proc) under 1.5 GB.

    python bench/score.py                  # packages the example first
    python bench/score.py --bundle PATH --rows 1000000 --big-rows 5000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def package_example(workdir: Path) -> Path:
    subprocess.run([sys.executable, "-m", "mlbp.cli", "pipeline.stages.serve_check=null"], cwd=workdir, check=True,
                   stdout=subprocess.DEVNULL)
    return sorted((workdir / ".mlbp" / "registry").glob("*/v*"))[-1]


def make_rows(bundle: Path, n: int, path: Path, chunk: int = 500_000) -> None:
    """n rows resampled from the bundle's golden examples (each row valid), written in chunks."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    golden = pd.read_parquet(bundle / "golden.parquet")
    base = golden[[c for c in golden.columns if not c.startswith("expected_")]]
    rng = np.random.default_rng(0)
    writer = None
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        part = base.iloc[rng.integers(0, len(base), m)].reset_index(drop=True)
        part["offer_id"] = [f"B{i:09d}" for i in range(start, start + m)]
        table = pa.Table.from_pandas(part, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=100_000)
    writer.close()


def raw_predict_rows_per_s(bundle: Path, src: Path) -> dict[str, float]:
    """rows/s of the bare predictors on rows that are already encoded (not timed: reading,
    checking, encoding), all cores: LightGBM's booster and the same trees compiled by lleaves."""
    import pyarrow.parquet as pq

    from mlbp.deploy.batch.checks import check_batch
    from mlbp.deploy.runtime.compiled_trees import lleaves_predictor
    from mlbp.deploy.runtime.serving import load_serving

    model = load_serving(bundle)
    checked = check_batch(pq.read_table(src), model.checker)
    X = model.compiled.encode_checked(checked, checked.valid)
    est = model.bundle.model.named_steps["model"]
    compiled = lleaves_predictor(est.booster_, getattr(est, "best_iteration_", None) or None, os.cpu_count() or 1)
    out = {}
    for name, predict in (("booster", est.booster_.predict), ("compiled", compiled)):
        t0 = time.perf_counter()
        predict(X)
        out[name] = len(X) / (time.perf_counter() - t0)
    return out


def tree_rss(pid: int) -> int:
    """Resident bytes of pid and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        stack += children.get(p, [])
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def score_in_subprocess(bundle: Path, src: Path, out: Path, n_jobs: int, backend: str = "auto",
                        trees: str = "auto") -> dict:
    code = ("import json, sys; from mlbp.deploy.batch.score import score_dataset; "
            f"s = score_dataset({str(bundle)!r}, {str(src)!r}, {str(out)!r}, n_jobs={n_jobs}, "
            f"id_column='offer_id', backend={backend!r}, trees={trees!r}); print(json.dumps(s))")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.05)
    summary = json.loads(proc.stdout.read().strip().splitlines()[-1])
    return {**summary, "peak_rss_bytes": peak}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--big-rows", type=int, default=5_000_000)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mlbp-bench-score-"))
    os.environ["MLBP_TREES_CACHE"] = str(tmp / "trees")  # a cold cache: the first run pays the compile
    bundle = Path(a.bundle) if a.bundle else package_example(tmp)
    small, big = tmp / "rows-1m.parquet", tmp / "rows-5m.parquet"
    make_rows(bundle, a.rows, small)
    print(f"bundle: {bundle}")
    # the first run with compiled trees compiles them (then cached on disk): time it on its own
    first = score_in_subprocess(bundle, small, tmp / "out-1m", a.n_jobs, trees="compiled")
    print(f"compiled trees: {first['predictor']}; first load incl. compile {first['load_seconds']}s "
          f"(cached for later runs)")
    # interleaved, best of --repeat for each: the machine is shared, and a neighbour's burst should
    # not decide a ratio (timeit's rule: the fastest run is the least disturbed one)
    raws: list[float] = []
    raw_compiled: list[float] = []
    ours: dict[str, list[dict]] = {"auto": [], "booster": []}
    for _ in range(a.repeat):
        bare = raw_predict_rows_per_s(bundle, small)
        raws.append(bare["booster"])
        raw_compiled.append(bare["compiled"])
        for trees in ours:
            ours[trees].append(score_in_subprocess(bundle, small, tmp / "out-1m", a.n_jobs, trees=trees))
    raw = max(raws)
    print(f"{a.rows:,} rows: raw booster predict (all cores, rows already encoded) {raw:,.0f} rows/s "
          f"(runs: {', '.join(f'{r:,.0f}' for r in raws)})")
    for trees, runs in ours.items():
        best = max(runs, key=lambda r: r["rows_per_second"])
        ratio = best["rows_per_second"] / raw
        print(f"mlbp score, trees={trees} -> {best['predictor']}, backend {best['backend']}, n_jobs={a.n_jobs}: "
              f"{best['rows_per_second']:,} rows/s (runs: {', '.join(format(r['rows_per_second'], ',') for r in runs)};"
              f" read + check + encode + predict + write {best['seconds']}s, after {best['load_seconds']}s loading)")
        print(f"rows/s ratio mlbp (trees={trees}) / raw booster: {ratio:.2f}  target >= 0.9  "
              f"{'PASS' if ratio >= 0.9 else 'MISS'}")
    best = max(ours["auto"], key=lambda r: r["rows_per_second"])
    print(f"overhead check: mlbp (compiled trees) / bare compiled-trees predict {max(raw_compiled):,.0f} rows/s = "
          f"{best['rows_per_second'] / max(raw_compiled):.2f} (what reading, checking, encoding and writing cost)")
    loky = score_in_subprocess(bundle, small, tmp / "out-1m-loky", a.n_jobs, "loky", trees="booster")
    print(f"for reference, backend=loky trees=booster (worker processes reading their own row groups): "
          f"{loky['rows_per_second']:,} rows/s = {loky['rows_per_second'] / raw:.2f}x")
    make_rows(bundle, a.big_rows, big)
    res = score_in_subprocess(bundle, big, tmp / "out-5m", a.n_jobs)
    gb = res["peak_rss_bytes"] / 1e9
    print(f"{a.big_rows:,} rows from Parquet (backend {res.get('backend')}): {res['rows_per_second']:,} rows/s, "
          f"reconciled={res['reconciled']}, "
          f"peak RSS (process + workers) {gb:.2f} GB  target < 1.5 GB  {'PASS' if gb < 1.5 else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
