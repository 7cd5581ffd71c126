"""Every corpus table (mlbp.examples.corpus) and the six real ones through `mlbp init` + the
default pipeline, as a user runs them, beside a plain baseline on the same split, so quality is
shown, not assumed.

    .venv/bin/python bench/corpus.py             # every table at full size, real ones included
    .venv/bin/python bench/corpus.py --quick     # corpus tables at 3,000 rows (tiny stays 300), no 2M, no real
    .venv/bin/python bench/corpus.py --tables tiny,wide

Per table: init and run pass/fail and seconds, holdout rows, mlbp's primary metric, a baseline's
(LightGBM with default settings fitted directly on mlbp's own train/holdout split and features),
and the verdict: mlbp no worse than the baseline by more than max(0.02, 2 CV standard deviations)
(for error metrics, 5% relative). The real tables are read from ../shared/data/real
(MLBP_REAL_TABLES overrides).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REAL = Path(os.environ.get("MLBP_REAL_TABLES", REPO.parent / "shared" / "data" / "real"))
MLBP = str(Path(sys.executable).parent / "mlbp")


def _sh(args: list[str], cwd: Path) -> tuple[bool, float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    err = next((line for line in proc.stderr.splitlines() if line.startswith("error")), proc.stderr[-300:])
    return proc.returncode == 0, time.perf_counter() - t0, err.strip()


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
            x[c] = pd.Categorical(x[c].astype("string"), categories=sorted(train[c].dropna().astype(str).unique()))
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


def run_table(folder: Path, name: str, path: Path, target: str) -> dict:
    row = {"table": name}
    ok, secs, err = _sh([MLBP, "init", f"p_{name}", str(path), f"target={target}"], folder)
    row |= {"init": "pass" if ok else "FAIL", "init_s": secs}
    if not ok:
        return row | {"error": err}
    ok, secs, err = _sh([MLBP, "--config-dir", f"p_{name}/conf", f"hydra.run.dir=outputs/{name}"], folder)
    row |= {"run": "pass" if ok else "FAIL", "run_s": secs}
    if not ok:
        return row | {"error": err}
    run = json.loads((folder / "outputs" / name / "run.json").read_text())
    store = folder / ".mlbp" / "store" / "objects"
    card = json.loads((store / run["artifacts"]["scorecard"] / "scorecard.json").read_text())
    mine = card.get("primary")
    base = baseline(store, run)
    return row | {"holdout": card.get("holdout_rows"), "metric": card["primary_metric"], "mlbp": mine,
                  "baseline": base, "vs_baseline": verdict(card, mine, base), "blessed": card.get("blessed")}


def main() -> None:
    from mlbp.examples.corpus import CORPUS, REAL_TABLES, make

    quick = "--quick" in sys.argv
    only = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--tables=")), None)
    if "--tables" in sys.argv:
        only = sys.argv[sys.argv.index("--tables") + 1]
    wanted = set(only.split(",")) if only else None
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, t in CORPUS.items():
            if (wanted and name not in wanted) or (quick and t.rows > 100_000):
                continue
            path = folder / f"{name}.csv"
            make(name, rows=min(t.rows, 3000) if quick else None).to_csv(path, index=False)
            rows.append(run_table(folder, name, path, t.target))
            print(_line(rows[-1]), flush=True)
        if not quick and REAL.is_dir():
            for file, target in REAL_TABLES:
                name = "real_" + file.split(".")[0]
                if wanted and name not in wanted:
                    continue
                rows.append(run_table(folder, name, REAL / file, target))
                print(_line(rows[-1]), flush=True)
    print()
    print("| table | init | run | seconds | holdout rows | metric | mlbp | baseline | vs baseline |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        secs = (r.get("init_s") or 0) + (r.get("run_s") or 0)
        print(f"| {r['table']} | {r['init']} | {r.get('run', '-')} | {secs:.1f} | {r.get('holdout', '-')} | "
              f"{r.get('metric', '-')} | {_num(r.get('mlbp'))} | {_num(r.get('baseline'))} | "
              f"{r.get('vs_baseline', r.get('error', '-'))[:120]} |")
    passed = sum(r.get("run") == "pass" and r.get("vs_baseline") == "ok" for r in rows)
    print(f"\n{passed} of {len(rows)} tables pass every step and match the baseline")


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def _line(r: dict) -> str:
    return " ".join(f"{k}={_num(v) if isinstance(v, float) else v}" for k, v in r.items())


if __name__ == "__main__":
    main()
