"""Serving readiness, measured on the saved model file: single-row latency p50/p99 on the runtime
that will serve it (compiled fast path, lean predictor or pipeline, as the server picks), in a fresh
process (`python -m mlbp.deploy.runtime.latency`); batch rows/s through `predict_frame`; size on
disk. If the fresh process cannot run, single rows are timed here through `predict_frame` and the
scorecard says so (`runtime`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlbp.stacks.predict import predict_frame


def serving_readiness(model_file: Path, info: dict[str, Any], df: pd.DataFrame, threshold: float | None,
                      latency_rows: int = 100, batch_rows: int = 5000, warmup: int = 5) -> dict[str, Any]:
    """Load the model as a server would (from disk), then time one-row calls and one batch call."""
    import joblib

    t0 = time.perf_counter()
    model = joblib.load(model_file)
    load_ms = (time.perf_counter() - t0) * 1000
    rows = df.head(max(latency_rows, 1))
    single = _served_latency(model_file, info, rows, threshold, warmup)
    if single is None:
        single = _pipeline_latency(model, info, rows, threshold, warmup)
    batch = df.head(batch_rows)
    t = time.perf_counter()
    predict_frame(model, info, batch, threshold)
    batch_s = max(time.perf_counter() - t, 1e-9)
    return {
        **single,
        "batch_rows": len(batch),
        "batch_rows_per_s": round(len(batch) / batch_s, 1),
        "model_size_mb": round(Path(model_file).stat().st_size / 1e6, 4),
        "load_ms": round(load_ms, 2),
    }


def _served_latency(model_file: Path, info: dict[str, Any], rows: pd.DataFrame, threshold: float | None,
                    warmup: int) -> dict[str, Any] | None:
    """Single-row latency on the serving runtime, in a fresh process; None if it cannot run."""
    import json
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        rows.to_parquet(Path(tmp) / "rows.parquet", index=False)
        spec = {"model_file": str(model_file), "info": info, "rows": str(Path(tmp) / "rows.parquet"),
                "threshold": threshold, "warmup": warmup}
        (Path(tmp) / "spec.json").write_text(json.dumps(spec, default=str))
        try:
            proc = subprocess.run([sys.executable, "-m", "mlbp.deploy.runtime.latency", str(Path(tmp) / "spec.json")],
                                  capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired):
            return None
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return None
    out = json.loads(lines[-1])
    out.pop("load_ms", None)
    return out


def _pipeline_latency(model: Any, info: dict[str, Any], rows: pd.DataFrame, threshold: float | None,
                      warmup: int) -> dict[str, Any]:
    for i in range(min(warmup, len(rows))):
        predict_frame(model, info, rows.iloc[[i]], threshold)
    times = []
    for i in range(len(rows)):
        one = rows.iloc[[i]]
        t = time.perf_counter()
        predict_frame(model, info, one, threshold)
        times.append((time.perf_counter() - t) * 1000)
    lat = np.asarray(times)
    return {"latency_p50_ms": round(float(np.percentile(lat, 50)), 3),
            "latency_p99_ms": round(float(np.percentile(lat, 99)), 3),
            "latency_calls": len(lat), "runtime": "pipeline, in the evaluating process (a fresh one could not start)"}
