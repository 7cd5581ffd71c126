"""One table through everything a new user does with it, as they do it: `mlbp init`, the pipeline,
`mlbp serve` answering a few requests, `mlbp score` over the whole file, and `mlbp monitor` over
what the server logged. Each step runs the installed `mlbp` command in its own process, in a
scratch folder, with no hand edit in between.

`bench/corpus.py` runs it over every corpus table (and the real ones) and prints the table the
docs show; tests/examples/test_acceptance.py runs the small tables in CI. A step's row says
pass/FAIL, seconds and what it saw, so a change that breaks one table shape says which step.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

MLBP = str(Path(sys.executable).parent / "mlbp")
STEPS = ("init", "run", "serve", "score", "monitor")
SERVE_ROWS = 50  # holdout rows sent to the server, in one MLflow-style request and one per row for a few
READY_TIMEOUT_S = 90.0


def sh(args: list[str], cwd: Path, timeout: float = 1800) -> tuple[int, float, str]:
    """(exit status, seconds, the error line or the tail of stderr) of one `mlbp` command."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, time.perf_counter() - t0, f"timed out after {timeout:.0f} s"
    err = next((line for line in proc.stderr.splitlines() if line.startswith("error")), proc.stderr[-300:])
    return proc.returncode, time.perf_counter() - t0, err.strip()


def through_every_step(folder: Path, name: str, data: Path, target: str) -> dict[str, Any]:
    """Run `data` through init, run, serve, score and monitor in `folder`; one result row.
    Steps stop at the first failure (each needs the one before)."""
    row: dict[str, Any] = {"table": name}
    conf = f"p_{name}/conf"
    steps = [
        lambda: _step(row, "init", sh([MLBP, "init", f"p_{name}", str(data), f"target={target}"], folder)),
        lambda: _run(row, folder, conf, name),
        lambda: _serve(row, folder, conf, name),
        lambda: _score(row, folder, conf, name, data),
        lambda: _monitor(row, folder, conf, name),
    ]
    for step in steps:  # in STEPS order
        if not step():
            break
    if row.get("run") == "pass":
        base = baseline(row["_store"], row["_run"])
        row |= {"baseline": base, "vs_baseline": verdict(row["_card"], row["mlbp"], base)}
    return row


def _step(row: dict[str, Any], step: str, result: tuple[int, float, str], ok_codes: tuple[int, ...] = (0,)) -> bool:
    code, secs, err = result
    row[step], row[f"{step}_s"] = ("pass" if code in ok_codes else "FAIL"), secs
    if code not in ok_codes:
        row["error"] = f"{step}: {err}"
    return code in ok_codes


def _run(row: dict[str, Any], folder: Path, conf: str, name: str) -> bool:
    if not _step(row, "run", sh([MLBP, "--config-dir", conf, f"hydra.run.dir=outputs/{name}"], folder)):
        return False
    run = json.loads((folder / "outputs" / name / "run.json").read_text())
    store = folder / ".mlbp" / "store" / "objects"
    card = json.loads((store / run["artifacts"]["scorecard"] / "scorecard.json").read_text())
    row |= {"holdout": card.get("holdout_rows"), "metric": card["primary_metric"], "mlbp": card.get("primary"),
            "blessed": card.get("blessed"), "_run": run, "_card": card, "_store": store}
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def holdout_rows(row: dict[str, Any], n: int) -> dict[str, Any]:
    """`n` holdout rows drawn at random (seeded), without the target, as MLflow's `dataframe_split`
    (JSON values: null for missing, ISO text for dates), the way a client sends the rows it has."""
    import pandas as pd

    hold = pd.read_parquet(row["_store"] / row["_run"]["artifacts"]["holdout"] / "data.parquet")
    hold = hold.drop(columns=[row["_card"]["target"]])
    hold = hold.sample(n, random_state=0) if len(hold) > n else hold  # files come sorted; traffic does not
    split = json.loads(hold.to_json(orient="split", index=False, date_format="iso"))
    return {"columns": split["columns"], "data": split["data"]}


def _serve(row: dict[str, Any], folder: Path, conf: str, name: str) -> bool:
    """`mlbp serve` on a free port: one request of SERVE_ROWS holdout rows and five single-row
    requests; every row answered (a prediction, or its own error for an unseen category)."""
    port, t0 = free_port(), time.perf_counter()
    log = (folder / f"serve_{name}.log").open("w")
    proc = subprocess.Popen([MLBP, "--config-dir", conf, "serve", f"deploy.rest.port={port}",
                             "deploy.rest.poll_seconds=0", f"hydra.run.dir=outputs/{name}_serve"],
                            cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base, answered, refused, status = f"http://127.0.0.1:{port}", 0, 0, "not ready"
    try:
        if _ready(proc, base):
            status, answered, refused = _requests(base, holdout_rows(row, SERVE_ROWS))
    finally:
        _stop(proc)
        log.close()
    ok = status == "ok"
    row |= {"serve": "pass" if ok else "FAIL", "serve_s": time.perf_counter() - t0, "served": answered,
            "refused": refused}
    if not ok:
        tail = (folder / f"serve_{name}.log").read_text()[-300:]
        row["error"] = f"serve: {status} {tail if status == 'not ready' else ''}".strip()
        row["error"] = row["error"].replace("\n", " ")
    return ok


def _requests(base: str, rows: dict[str, Any]) -> tuple[str, int, int]:
    """(status, rows answered, rows refused): all rows in one request, then the first five alone.
    A row refused in the batch (an unseen category) is answered alone with 422 and its field."""
    import httpx

    with httpx.Client(base_url=base, timeout=60) as client:
        r = client.post("/invocations", json={"dataframe_split": rows})
        if r.status_code != 200:
            return f"HTTP {r.status_code}: {r.text[:200]}", 0, 0
        preds = r.json()["predictions"]
        errors = [p.get("error") if isinstance(p, dict) else None for p in preds]
        if len(preds) != len(rows["data"]):
            return f"{len(preds)} answers to {len(rows['data'])} rows", 0, 0
        answered, refused = len(preds), sum(map(bool, errors))
        for i, one in enumerate(rows["data"][:5]):
            r = client.post("/invocations", json={"dataframe_split": {"columns": rows["columns"], "data": [one]}})
            want = 422 if errors[i] else 200
            if r.status_code != want:
                return f"row {i} alone: HTTP {r.status_code}, expected {want}: {r.text[:200]}", answered, refused
            answered, refused = answered + 1, refused + bool(errors[i])
    return "ok", answered, refused


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group (graceful: the prediction log flushes on shutdown)."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, None)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def _ready(proc: subprocess.Popen, base: str) -> bool:
    import httpx

    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(base + "/v2/health/ready", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def _score(row: dict[str, Any], folder: Path, conf: str, name: str, data: Path) -> bool:
    """`mlbp score` over the whole input file; scored + quarantined must equal the rows in."""
    out = folder / "scores" / name
    if not _step(row, "score", sh([MLBP, "--config-dir", conf, "score", str(data), f"deploy.score.output={out}",
                                   f"hydra.run.dir=outputs/{name}_score"], folder)):
        return False
    summary = json.loads((out / "batch.json").read_text())
    row |= {"scored": summary["rows_scored"], "quarantined": summary["rows_quarantined"]}
    if not summary["reconciled"]:
        row["score"], row["error"] = "FAIL", f"score: counts do not reconcile {summary}"
        return False
    return True


def _monitor(row: dict[str, Any], folder: Path, conf: str, name: str) -> bool:
    """`mlbp monitor` over what the server logged: exit 0, or 2 when a critical alert fires (a
    verdict, not a failure); the served rows it finds must be the ones the server answered."""
    out = folder / "outputs" / f"{name}_monitor"
    if not _step(row, "monitor", sh([MLBP, "--config-dir", conf, "monitor", f"hydra.run.dir={out}"], folder),
                 ok_codes=(0, 2)):
        return False
    report = json.loads((out / "monitor_report.json").read_text())
    drift = report["results"].get("drift", {})
    row |= {"monitored": report["window"]["served_rows"], "drifted": len(drift.get("drifted_columns", [])),
            "alerts": len(report["alerts"])}
    if row["monitored"] != row["served"] - row["refused"]:
        row["monitor"] = "FAIL"
        row["error"] = f"monitor: found {row['monitored']} logged predictions, the server answered " \
                       f"{row['served'] - row['refused']}"
        return False
    return True


def baseline(store: Path, run: dict) -> float | None:
    """LightGBM with its defaults on mlbp's split and features: the number a user would get by hand."""
    import lightgbm as lgb
    import pandas as pd

    from mlbp.data.labels import Labels
    from mlbp.stacks.metrics import PRIMARY, metrics_for

    arts = run["artifacts"]
    info = json.loads((store / arts["model"] / "model.json").read_text())
    card = json.loads((store / arts["scorecard"] / "scorecard.json").read_text())
    train = pd.read_parquet(store / arts["train"] / "data.parquet")
    hold = pd.read_parquet(store / arts["holdout"] / "data.parquet")
    feats, task, target = info["numeric"] + info["categorical"], card["task"], card["target"]

    def frame(df: pd.DataFrame) -> pd.DataFrame:
        x = df[feats].copy()
        for c in info["numeric"]:
            x[c] = pd.to_numeric(x[c], errors="coerce").astype(float)
        for c in info["categorical"]:
            levels = sorted(train[c].dropna().astype(str).unique())
            text = x[c].astype("string")
            x[c] = pd.Categorical(text.where(text.isin(levels)), categories=levels)
        return x

    if task == "regression":
        model = lgb.LGBMRegressor(verbose=-1).fit(frame(train), train[target].astype(float))
        scores, y = model.predict(frame(hold)), hold[target].to_numpy(dtype=float)
    else:
        labels = Labels.from_info(info)
        model = lgb.LGBMClassifier(verbose=-1).fit(frame(train), labels.encode(train[target]))
        proba, y = model.predict_proba(frame(hold)), labels.encode(hold[target])
        scores = proba[:, 1] if task == "binary" else proba
    return metrics_for(task, y, scores).get(PRIMARY[task][0])


def verdict(card: dict, mine: float | None, base: float | None) -> str:
    if mine is None or base is None:
        return "n/a"
    metric = card["primary_metric"]
    if card.get("higher_is_better", True):
        spread = ((card.get("cv") or {}).get("summary", {}).get(metric, {}) or {}).get("std_folds") or 0.0
        ok = mine >= base - max(0.02, 2 * spread)
    else:
        ok = mine <= base * 1.05
    return "ok" if ok else "WORSE"


def passed(row: dict[str, Any]) -> bool:
    """Every step passed with no hand edit."""
    return all(row.get(s) == "pass" for s in STEPS)


def accepted(row: dict[str, Any]) -> bool:
    """Every step passed, and the model is no worse than the plain baseline (see `verdict`)."""
    return passed(row) and row.get("vs_baseline") == "ok"
