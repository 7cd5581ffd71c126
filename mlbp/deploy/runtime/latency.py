"""Single-row latency on the runtime that will serve, in a fresh process (the scorecard's
serving figures): the model file is loaded as a server loads it, compiled (the fast path, a lean
predictor, or the plain pipeline when neither proves itself) and timed one row at a time.

    python -m mlbp.deploy.runtime.latency SPEC.json   # prints one JSON line

SPEC: {"model_file", "info" (task, numeric, categorical, categories, classes, labels),
"rows" (a Parquet file), "threshold", "warmup"}. The scorecard (mlbp.stacks.serving) starts it as
a process: stacks sit below deploy, and a fresh process is what a server is.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    import joblib
    import pandas as pd

    from mlbp.deploy.runtime.compiled import CompiledModel
    from mlbp.stacks.predict import predict_frame

    info, threshold = spec["info"], spec.get("threshold")
    t0 = time.perf_counter()
    model = joblib.load(spec["model_file"])
    sig = {"task": info["task"], "numeric": info["numeric"], "categorical": info["categorical"],
           "classes": info.get("classes"), "labels": info.get("labels"),
           "inputs": {c: {"categories": [str(x) for x in (info.get("categories") or {}).get(c, [])]}
                      for c in info["categorical"]}}
    compiled, how = CompiledModel.compile(model, sig)
    load_ms = (time.perf_counter() - t0) * 1000
    rows = pd.read_parquet(spec["rows"])
    features = info["numeric"] + info["categorical"]
    if compiled is not None:  # the served path: a row as the server's checker hands it over
        def one(i: int) -> Any:
            cols = {c: [None if pd.isna(v) else (float(v) if c in info["numeric"] else str(v))]
                    for c, v in rows.iloc[i][features].items()}
            return compiled.predict(cols, 1, sig, threshold)
    else:
        how = f"pipeline ({how})"

        def one(i: int) -> Any:
            return predict_frame(model, info, rows.iloc[[i]], threshold)
    for i in range(min(int(spec.get("warmup", 5)), len(rows))):
        one(i)
    times = []
    for i in range(len(rows)):
        t = time.perf_counter()
        one(i)
        times.append((time.perf_counter() - t) * 1000)
    lat = np.asarray(times)
    return {"latency_p50_ms": round(float(np.percentile(lat, 50)), 3),
            "latency_p99_ms": round(float(np.percentile(lat, 99)), 3),
            "latency_calls": len(lat), "runtime": how, "load_ms": round(load_ms, 2)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    with open(args[0]) as fh:
        spec = json.load(fh)
    print(json.dumps(measure(spec)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
