"""The sweep leaderboard: one row per job of a `-m` sweep, ranked, with the blessed winner named.

Reads only what jobs left on disk (each job folder's `result.json` and `run.json`, and the
scorecard in the artifact store the manifest points at), so it works the same for every launcher.
Writes `leaderboard.csv`, `leaderboard.json` and `leaderboard.html` (plots: the primary metric
with its spread across folds and seeds, profit curves, latency vs quality) into the sweep folder.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from mlbp.report.render import png_data_uri, render

DATA_STAGES = ("ingest", "validate", "assess", "split")
COLUMNS = ("rank", "job", "stack", "status", "blessed", "objective", "total", "primary_metric", "primary",
           "cv_mean", "cv_std_folds", "cv_std_seeds", "degradation", "profit_at_threshold", "profit_act_on_all",
           "uplift_vs_all", "lift_top_10pct", "ece", "latency_p50_ms", "latency_p99_ms", "batch_rows_per_s",
           "model_size_mb", "train_seconds", "worst_slice", "failed_rules", "overrides", "candidate_report")


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def job_row(job_dir: Path) -> dict[str, Any] | None:
    """One job's row, from its folder; None if the folder is not an mlbp job."""
    result = _read(job_dir / "result.json")
    if result is None:
        return None
    run = _read(job_dir / "run.json") or {}
    row: dict[str, Any] = {"job": job_dir.name, "status": result.get("status"),
                           "overrides": " ".join(result.get("overrides", [])),
                           "seconds": result.get("seconds"), "run_dir": str(job_dir)}
    stages = run.get("stages", {})
    row["computed_data_stages"] = [n for n in DATA_STAGES if n in stages and not stages[n].get("cache_hit")]
    row["stage_cache_hits"] = {n: bool(r.get("cache_hit")) for n, r in stages.items()}
    if result.get("status") != "done":
        err = result.get("error") or {}
        row["failed_rules"] = [f"job failed: {err.get('message') or err}"]
        row["blessed"] = False
        return row
    card_hash = (run.get("artifacts") or result.get("artifacts") or {}).get("scorecard")
    store = run.get("store")
    card = _read(Path(store) / "objects" / card_hash / "scorecard.json") if store and card_hash else None
    if card is None:
        row |= {"blessed": False, "failed_rules": ["no scorecard (evaluate did not run)"]}
        return row
    primary = card.get("primary_metric")
    cv = ((card.get("cv") or {}).get("summary") or {}).get(primary) or {}
    business = card.get("business") or {}
    serving = card.get("serving") or {}
    worst = (card.get("slices") or {}).get("worst") or {}
    row |= {
        "stack": card.get("stack"), "blessed": bool(card.get("blessed")), "total": card.get("total"),
        "primary_metric": primary, "primary": card.get("primary"), "higher_is_better": card.get("higher_is_better"),
        "cv_mean": cv.get("mean"), "cv_std_folds": cv.get("std_folds"), "cv_std_seeds": cv.get("std_seeds"),
        "degradation": (card.get("degradation") or {}).get("drop"),
        "profit_at_threshold": business.get("profit_at_threshold"),
        "profit_act_on_all": business.get("profit_act_on_all"), "uplift_vs_all": business.get("uplift_vs_all"),
        "lift_top_10pct": (business.get("lift") or {}).get("top_10pct"),
        "threshold": card.get("threshold"), "ece": (card.get("calibration") or {}).get("ece"),
        "latency_p50_ms": serving.get("latency_p50_ms"), "latency_p99_ms": serving.get("latency_p99_ms"),
        "batch_rows_per_s": serving.get("batch_rows_per_s"), "model_size_mb": serving.get("model_size_mb"),
        "train_seconds": card.get("train_seconds"), "worst_slice": worst.get(primary),
        "worst_slice_name": f"{worst.get('column')}={worst.get('value')}" if worst else None,
        "failed_rules": card.get("failed_rules") or [], "champion": card.get("champion"),
        "cv_runs": [r.get(primary) for r in (card.get("cv") or {}).get("runs", [])],
        "profit_curve": card.get("profit_curve"), "scorecard": card_hash,
    }
    if (job_dir / "candidate.html").exists():
        row["candidate_report"] = f"{job_dir.name}/candidate.html"
    return row


def _objective(row: dict[str, Any], objective: str) -> float | None:
    value = row.get("total") if objective == "total" else row.get("primary")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if objective != "total" and row.get("higher_is_better") is False:
        return -float(value)
    return float(value)


def rank(rows: list[dict[str, Any]], objective: str = "total") -> tuple[list[dict[str, Any]], dict | None]:
    """Best objective first (failed jobs last); the winner is the best *blessed* candidate."""
    for r in rows:
        r["objective"] = _objective(r, objective)
    rows = sorted(rows, key=lambda r: (r["objective"] is None, -(r["objective"] or 0.0), r["job"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    winner = next((r for r in rows if r.get("blessed") and r["objective"] is not None), None)
    return rows, winner


def collect(sweep_dir: Path) -> list[dict[str, Any]]:
    rows = []
    for job_dir in sorted(p for p in Path(sweep_dir).iterdir() if p.is_dir()):
        row = job_row(job_dir)
        if row is not None:
            rows.append(row)
    return rows


def write_leaderboard(sweep_dir: Path, objective: str = "total") -> dict[str, Any]:
    sweep_dir = Path(sweep_dir)
    rows, winner = rank(collect(sweep_dir), objective)
    computed = {n: [r["job"] for r in rows if n in r.get("computed_data_stages", [])] for n in DATA_STAGES}
    board = {"sweep_dir": str(sweep_dir), "objective": objective, "rows": rows,
             "winner": {k: winner.get(k) for k in ("job", "stack", "total", "primary", "primary_metric", "objective",
                                                   "run_dir")} | {objective: winner.get(objective)} if winner else None,
             "data_stages_computed_by": computed}
    (sweep_dir / "leaderboard.json").write_text(json.dumps(board, indent=2, default=str))
    with open(sweep_dir / "leaderboard.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("; ".join(v) if isinstance(v, list) else v) for k, v in r.items() if k in COLUMNS})
    html = render("leaderboard.html.j2", board=board, rows=rows, winner=winner, objective=objective,
                  columns=COLUMNS, plots=_plots(rows))
    (sweep_dir / "leaderboard.html").write_text(html)
    return board


def _plots(rows: list[dict[str, Any]]) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scored = [r for r in rows if r.get("primary") is not None]
    if not scored:
        return {}
    out = {}
    metric = scored[0]["primary_metric"]
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    names = [r["stack"] or r["job"] for r in scored]
    for i, r in enumerate(scored):
        runs = [v for v in r.get("cv_runs") or [] if v is not None]
        ax.scatter([i] * len(runs), runs, color="tab:blue", alpha=0.35, s=14)
        ax.errorbar(i, r["cv_mean"], yerr=r.get("cv_std_folds") or 0, fmt="o", color="tab:blue", capsize=4,
                    label="CV mean ± fold std" if i == 0 else None)
        ax.scatter(i, r["primary"], marker="D", color="tab:orange", zorder=3, label="holdout" if i == 0 else None)
    ax.set_xticks(range(len(names)), names, rotation=20)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric}: CV folds x seeds and holdout", fontsize=10)
    ax.legend(fontsize=7)
    out["metric"] = png_data_uri(fig)
    plt.close(fig)

    curves = [r for r in scored if r.get("profit_curve")]
    if curves:
        fig, ax = plt.subplots(figsize=(5.5, 3.2))
        for r in curves:
            c = r["profit_curve"]
            ax.plot([s * 100 for s in c["share"]], c["profit"], lw=1.4, label=r["stack"])
        ax.axhline(curves[0].get("profit_act_on_all") or 0, color="grey", ls="--", lw=1, label="act on all")
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xlabel("rows acted on (%)")
        ax.set_ylabel("holdout profit")
        ax.set_title("profit curves (holdout)", fontsize=10)
        ax.legend(fontsize=7)
        out["profit"] = png_data_uri(fig)
        plt.close(fig)

    lat = [r for r in scored if r.get("latency_p99_ms")]
    if lat:
        fig, ax = plt.subplots(figsize=(5.5, 3.2))
        for r in lat:
            color = "tab:green" if r.get("blessed") else "tab:red"
            ax.scatter(r["latency_p99_ms"], r["primary"], color=color, s=40)
            ax.annotate(r["stack"], (r["latency_p99_ms"], r["primary"]), fontsize=8, xytext=(4, 3),
                        textcoords="offset points")
        ax.set_xscale("log")
        ax.set_xlabel("single-row latency p99 (ms, log)")
        ax.set_ylabel(f"holdout {metric}")
        ax.set_title("latency vs quality (green: blessed)", fontsize=10)
        out["latency"] = png_data_uri(fig)
        plt.close(fig)
    return out
