"""Serving readiness, measured on the saved model file through the one prediction function every
hand-off uses (`predict_frame`): single-row latency p50/p99, batch rows/s, size on disk."""

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
    for i in range(min(warmup, len(rows))):
        predict_frame(model, info, rows.iloc[[i]], threshold)
    times = []
    for i in range(len(rows)):
        one = rows.iloc[[i]]
        t = time.perf_counter()
        predict_frame(model, info, one, threshold)
        times.append((time.perf_counter() - t) * 1000)
    batch = df.head(batch_rows)
    t = time.perf_counter()
    predict_frame(model, info, batch, threshold)
    batch_s = max(time.perf_counter() - t, 1e-9)
    lat = np.asarray(times)
    return {
        "latency_p50_ms": round(float(np.percentile(lat, 50)), 3),
        "latency_p99_ms": round(float(np.percentile(lat, 99)), 3),
        "latency_calls": len(lat),
        "batch_rows": len(batch),
        "batch_rows_per_s": round(len(batch) / batch_s, 1),
        "model_size_mb": round(Path(model_file).stat().st_size / 1e6, 4),
        "load_ms": round(load_ms, 2),
    }
