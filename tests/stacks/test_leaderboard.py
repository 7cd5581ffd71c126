"""The sweep leaderboard: ranks what jobs left on disk and names the best *blessed* candidate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from omegaconf import OmegaConf

from mlbp.compose.callbacks import Leaderboard
from mlbp.report.leaderboard import write_leaderboard


def _job(sweep: Path, store: Path, name: str, stack: str, total: float | None, blessed: bool,
         computed_ingest: bool, failed: bool = False) -> None:
    job = sweep / name
    job.mkdir(parents=True)
    digest = f"{abs(hash(name)):x}"
    stages = {"ingest": {"cache_hit": not computed_ingest}, "validate": {"cache_hit": not computed_ingest},
              "evaluate": {"cache_hit": False}}
    if failed:
        (job / "result.json").write_text(json.dumps({"status": "failed", "overrides": [f"stack={stack}"],
                                                     "error": {"message": "stage 'train' failed: boom"}}))
        return
    card = {"stack": stack, "total": total, "blessed": blessed, "primary_metric": "roc_auc", "primary": total - 0.1,
            "higher_is_better": True, "failed_rules": [] if blessed else ["roc_auc = 0.6000 < min 0.9"],
            "cv": {"summary": {"roc_auc": {"mean": total - 0.12, "std_folds": 0.01, "std_seeds": 0.005}},
                   "runs": [{"roc_auc": total - 0.12}, {"roc_auc": total - 0.11}]},
            "business": {"profit_at_threshold": 100 * total, "profit_act_on_all": 50.0, "uplift_vs_all": 10.0,
                         "lift": {"top_10pct": 2.0}},
            "profit_curve": {"share": [0.0, 0.5, 1.0], "profit": [0.0, 100 * total, 50.0]},
            "serving": {"latency_p50_ms": 2.0, "latency_p99_ms": 5.0 + total, "batch_rows_per_s": 1000.0,
                        "model_size_mb": 0.5}}
    (store / "objects" / digest).mkdir(parents=True)
    (store / "objects" / digest / "scorecard.json").write_text(json.dumps(card))
    (job / "result.json").write_text(json.dumps({"status": "done", "overrides": [f"stack={stack}"]}))
    (job / "run.json").write_text(json.dumps({"store": str(store), "artifacts": {"scorecard": digest},
                                              "stages": stages}))
    (job / "candidate.html").write_text("<html></html>")


def _sweep(tmp_path: Path) -> Path:
    sweep, store = tmp_path / "sweep", tmp_path / "store"
    _job(sweep, store, "0_stack=a", "a", 0.80, blessed=True, computed_ingest=True)
    _job(sweep, store, "1_stack=b", "b", 0.90, blessed=False, computed_ingest=False)  # best total, not blessed
    _job(sweep, store, "2_stack=c", "c", 0.70, blessed=True, computed_ingest=False)
    _job(sweep, store, "3_stack=d", "d", None, blessed=False, computed_ingest=False, failed=True)
    (sweep / "multirun.yaml").write_text("{}")
    return sweep


def test_the_winner_is_the_best_blessed_candidate(tmp_path):
    sweep = _sweep(tmp_path)
    board = write_leaderboard(sweep)
    assert [r["stack"] for r in board["rows"][:3]] == ["b", "a", "c"] and board["rows"][3]["status"] == "failed"
    assert board["winner"]["stack"] == "a" and board["winner"]["job"] == "0_stack=a"
    assert board["rows"][0]["failed_rules"] == ["roc_auc = 0.6000 < min 0.9"]
    assert board["rows"][3]["failed_rules"][0].startswith("job failed: stage 'train' failed")
    assert board["data_stages_computed_by"]["ingest"] == ["0_stack=a"]
    rows = list(csv.DictReader((sweep / "leaderboard.csv").read_text().splitlines()))
    assert [r["stack"] for r in rows] == ["b", "a", "c", ""] and rows[1]["blessed"] == "True"
    html = (sweep / "leaderboard.html").read_text()
    assert "Blessed winner" in html and html.count("data:image/png;base64,") == 3  # spread, profit, latency
    assert 'href="0_stack=a/candidate.html"' in html
    assert json.loads((sweep / "leaderboard.json").read_text())["winner"]["stack"] == "a"


def test_ranking_by_primary_metric(tmp_path):
    board = write_leaderboard(_sweep(tmp_path), objective="primary")
    assert board["objective"] == "primary" and board["rows"][0]["stack"] == "b"


def test_no_blessed_candidate_means_no_winner(tmp_path):
    sweep, store = tmp_path / "sweep", tmp_path / "store"
    _job(sweep, store, "0_stack=a", "a", 0.8, blessed=False, computed_ingest=True)
    board = write_leaderboard(sweep)
    assert board["winner"] is None and "No candidate is blessed" in (sweep / "leaderboard.html").read_text()


def test_the_hydra_callback_reads_the_sweep_folder(tmp_path, capsys):
    sweep = _sweep(tmp_path)
    cfg = OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep)}}, "evaluation": {"objective": "total"}})
    Leaderboard().on_multirun_end(cfg)
    assert (sweep / "leaderboard.html").exists() and (sweep / "leaderboard.csv").exists()
    assert "blessed winner" in capsys.readouterr().err


def test_the_callback_marks_when_the_sweep_started(tmp_path):
    from mlbp.stacks.champion import sweep_started

    sweep = tmp_path / "sweep"
    cfg = OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep)}}})
    Leaderboard().on_multirun_start(cfg)
    started = sweep_started(sweep / "0_stack=a")
    assert started is not None and abs(started - json.loads((sweep / "sweep.json").read_text())["started"]) < 1e-6
    assert sweep_started(tmp_path / "outputs" / "2026-01-01" / "run") is None  # a single run: no sweep
