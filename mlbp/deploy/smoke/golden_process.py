"""`python -m mlbp.deploy.smoke.golden_process BUNDLE`: in a fresh process, verify + load the bundle and
reproduce its golden examples exactly, through the plain pipeline and through the serving fast
path. Prints a JSON verdict; exit code 0 only when both reproduce."""

from __future__ import annotations

import json
import sys

from mlbp.engine.children import arm


def check(bundle: str) -> dict:
    import numpy as np
    import pandas as pd

    from mlbp.deploy.runtime.serving import golden_mismatch, load_serving
    from mlbp.registry.bundle import load
    from mlbp.stacks.predict import predict_frame

    b = load(bundle)
    golden = pd.read_parquet(b.path / "golden.parquet")
    got = predict_frame(b.model, b.signature, golden, b.manifest.get("threshold"))
    problems = []
    for c in got.columns:
        if not np.array_equal(got[c].to_numpy(), golden[f"expected_{c}"].to_numpy()):
            problems.append(f"pipeline: {c} differs")
    served = load_serving(bundle)
    if served.compiled is not None:
        bad = golden_mismatch(served)
        if bad:
            problems.append(f"fast path: {bad}")
    return {"bundle": bundle, "rows": len(golden), "ok": not problems, "problems": problems,
            "fast_path": served.fast_path}


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    arm()  # started by the pipeline's golden_check: do not outlive it
    if len(args) != 1:
        print("usage: python -m mlbp.deploy.smoke.golden_process BUNDLE", file=sys.stderr)
        return 2
    try:
        verdict = check(args[0])
    except Exception as exc:  # noqa: BLE001 - the verdict names the failure for the parent process
        verdict = {"bundle": args[0], "ok": False, "problems": [f"{type(exc).__name__}: {exc}"]}
    print(json.dumps(verdict))
    return 0 if verdict["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
