"""After deploying: a real server on 127.0.0.1 starts, becomes ready and returns the golden
predictions on every protocol it speaks, then is stopped."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

from mlbp.engine.children import child_env
from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import write_json


def golden_requests(golden: Any, features: list[str]) -> dict[str, tuple[str, dict[str, str], bytes]]:
    """The golden inputs as one request per protocol: name -> (path, headers, body)."""
    import orjson

    from mlbp.deploy.runtime.golden import golden_columns

    cols = golden_columns(golden, features)
    rows = [{c: cols[c][i] for c in features} for i in range(len(golden))]
    js = {"content-type": "application/json"}
    v2 = {"inputs": [{"name": c, "shape": [len(rows)], "datatype": _v2_type(cols[c]), "data": cols[c]}
                     for c in features], "parameters": {"content_type": "pd"}}
    buf = io.StringIO()  # the csv module quotes commas, quotes and line breaks, as any client's writer does
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(features)
    writer.writerows(["" if r[c] is None else r[c] for c in features] for r in rows)
    return {
        "mlflow dataframe_split": ("/invocations", js, orjson.dumps(
            {"dataframe_split": {"columns": features, "data": [[r[c] for c in features] for r in rows]}})),
        "mlflow dataframe_records": ("/invocations", js, orjson.dumps({"dataframe_records": rows})),
        "mlflow instances": ("/invocations", js, orjson.dumps({"instances": rows})),
        "mlflow inputs": ("/invocations", js, orjson.dumps({"inputs": cols})),
        "mlflow csv": ("/invocations", {"content-type": "text/csv"}, buf.getvalue().encode()),
        "v2 infer (no content type)": ("/v2/models/{name}/infer", {}, orjson.dumps(v2)),
        "predict": ("/predict", js, orjson.dumps(rows)),
    }


def _v2_type(values: list[Any]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if kinds and kinds <= {bool}:
        return "BOOL"
    if kinds <= {int}:
        return "INT64"
    if kinds <= {int, float}:
        return "FP64"
    return "BYTES"


def predictions_from(name: str, payload: dict[str, Any]) -> dict[str, list[Any]]:
    return answers_from(name, payload)[0]


def answers_from(name: str, payload: dict[str, Any]) -> tuple[dict[str, list[Any]], list[str]]:
    """(outputs per name, each row's error or "") from one protocol's answer; a refused row's
    outputs are None (docs/deploy.md, "Unseen categories, row by row")."""
    if name.startswith("v2"):
        outs = {o["name"]: o["data"] for o in payload["outputs"]}
        n = len(next(iter(outs.values())))
        return {k: v for k, v in outs.items() if k != "error"}, outs.get("error") or [""] * n
    recs = payload["predictions"]
    keys = next((list(r) for r in recs if "error" not in r), [])
    errors = [r.get("error", "") for r in recs]
    return {k: [None if e else r[k] for r, e in zip(recs, errors, strict=True)] for k in keys}, errors


class ServeCheck(Stage):
    """Needs `bundle`; makes `serve_check`. Starts `python -m mlbp.deploy.rest.launch` on a free port
    with the deployment's own serving options (deploy.rest), so the check tests what will serve."""

    needs: ClassVar[tuple[str, ...]] = ("bundle",)
    makes: ClassVar[tuple[str, ...]] = ("serve_check",)
    check: ClassVar[str | None] = "smoke"  # a hand-off check the promotion policy counts

    def __init__(self, ready_timeout_seconds: float = 60.0, serving: Any = None) -> None:
        from mlbp.deploy.rest.options import serving_options

        self.ready_timeout_seconds = ready_timeout_seconds
        # how the deployment answers requests, every key of it (mlbp.deploy.rest.options)
        self.serving = serving_options(serving, "pipeline.stages.serve_check.serving")

    def describe(self) -> dict[str, Any]:
        return {"ready_timeout_seconds": self.ready_timeout_seconds, **self.serving.model_dump()}

    def run(self, ctx: StageContext) -> None:
        evidence = Path(ctx.run_dir) / "serve_check"  # kept in the run folder: what a failure points to
        evidence.mkdir(parents=True, exist_ok=True)
        results = check_server(ctx.input("bundle"), self.ready_timeout_seconds, self.serving,
                               log_path=evidence / "server.log")
        write_json(results, ctx.output("serve_check"), "serve_check.json")
        failed = {k: v for k, v in results["protocols"].items() if v != "ok"}
        if failed:
            write_json(results, evidence, "serve_check.json")
            raise MlbpError(f"the server did not return the golden predictions: {failed}", reason=Reason.BUNDLE,
                            key="deploy.rest", fix=f"see {evidence / 'serve_check.json'} and {evidence / 'server.log'}")
        ctx.note(protocols=len(results["protocols"]), ready_seconds=results["ready_seconds"])


def check_protocols(client: Any, manifest: dict[str, Any], golden: Any, unknown_category: str = "reject"
                    ) -> dict[str, str]:
    """Each protocol's answer to the golden rows from the server behind `client` (an httpx.Client
    with its base URL): "ok" when the rows the policy refuses are refused with their error and
    every other row's outputs equal the golden ones, else what differed."""
    import numpy as np

    from mlbp.deploy.runtime.golden import output_difference, refused_rows

    sig = manifest["signature"]
    features = list(sig["numeric"]) + list(sig["categorical"])
    refused = np.array(refused_rows(golden, sig, unknown_category), dtype=bool)
    out: dict[str, str] = {}
    for name, (path, headers, body) in golden_requests(golden, features).items():
        r = client.post(path.replace("{name}", manifest["name"]), content=body, headers=headers)
        if r.status_code != 200:
            out[name] = f"HTTP {r.status_code}: {r.text[:300]}"
            continue
        got, errors = answers_from(name, r.json())
        answered = np.array([bool(e) for e in errors], dtype=bool)
        if not np.array_equal(answered, refused):
            out[name] = (f"rows refused {np.flatnonzero(answered).tolist()[:10]}, expected "
                         f"{np.flatnonzero(refused).tolist()[:10]} (categories outside the signature)")
            continue
        keep = ~refused
        bad = [k for k in got if output_difference(k, np.asarray(got[k], dtype=object)[keep],
                                                   golden[f"expected_{k}"].to_numpy()[keep])]
        out[name] = "ok" if not bad else f"differs in {bad}"
    return out


def launch_args(bundle: Path, options: Any = None) -> list[str]:
    """`python -m mlbp.deploy.rest.launch` arguments: the bundle and the serving options, whole."""
    from mlbp.deploy.rest.options import serving_options

    return ["--bundle", str(bundle), "--options", serving_options(options).model_dump_json()]


def check_server(bundle: Path, ready_timeout: float = 60.0, options: Any = None,
                 log_path: Path | None = None) -> dict[str, Any]:
    """Start the smoke server with `options` (ServingOptions or a dict of them), check every
    protocol against the golden rows, stop it."""
    import httpx
    import pandas as pd

    from mlbp.deploy.rest.options import serving_options

    options = serving_options(options)

    bundle = Path(bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    golden = pd.read_parquet(bundle / "golden.parquet")
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        log_path = log_path or Path(tmp) / "server.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen([sys.executable, "-m", "mlbp.deploy.rest.launch", *launch_args(bundle, options),
                                     "--port", "0", "--port-file", str(port_file)], stdout=log, stderr=log,
                                    env=child_env({**os.environ, "PYTHONUNBUFFERED": "1"}))
        try:
            t0 = time.perf_counter()
            base = _wait_ready(proc, port_file, ready_timeout, log_path)
            ready = time.perf_counter() - t0
            with httpx.Client(base_url=base, timeout=30) as client:
                out = check_protocols(client, manifest, golden, options.unknown_category)
                meta = client.get(f"/v2/models/{manifest['name']}").json()
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return {"base_url": base, "ready_seconds": round(ready, 3), "protocols": out, "options": options.model_dump(),
                "serving": {"versions": meta.get("versions"),  # what the server says it runs with
                            **{k: meta.get("parameters", {}).get(k)
                               for k in ("fast_path", "unknown_category", "extra_columns")}},
                "exit_code": proc.returncode}


def _wait_ready(proc: subprocess.Popen, port_file: Path, timeout: float, log_path: Path) -> str:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise MlbpError(f"the server exited with code {proc.returncode} before it was ready: "
                            f"{log_path.read_text()[-2000:]}", reason=Reason.STAGE_FAILED, key="deploy.rest",
                            fix=f"see the server's output in {log_path}")
        if port_file.exists() and port_file.read_text().strip():
            base = f"http://127.0.0.1:{port_file.read_text().strip()}"
            try:
                if httpx.get(f"{base}/v2/health/ready", timeout=1).status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
        time.sleep(0.1)
    raise MlbpError(f"the server was not ready within {timeout}s", reason=Reason.STAGE_FAILED, key="deploy.rest",
                    fix=f"see the server's output in {log_path}")
