"""`mlbp monitor` over a synthetic log for a real registered bundle: reports, exit codes, feedback import."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest
from monitor_fixtures import bundle_dir, synthetic_records, write_log

from mlbp.cli import main
from mlbp.monitor.window import read_window

CRITICAL_DRIFT = ('monitor.alerts.rules=[{name: drift, monitor: drift, condition: "alert == true", '
                  'severity: critical}]')


def _monitor(tmp_path, run: str, log, start: float, end: float, *extra: str) -> tuple[int, dict, str]:
    out = tmp_path / run
    rc = main(["monitor", f"monitor.prediction_log.root={log}", f"monitor.state={tmp_path / 'state'}",
               f"monitor.window.start={start}", f"monitor.window.end={end}", f"hydra.run.dir={out}", *extra])
    return rc, json.loads((out / "monitor_report.json").read_text()), (out / "monitor_report.html").read_text()


def test_clean_window_passes_and_writes_both_reports(project, tmp_path, monkeypatch):
    monkeypatch.chdir(project)
    now = time.time()
    preds, feedback = synthetic_records(bundle_dir(project), 1500, seed=11, start=now - 3600, span_s=3000)
    write_log(tmp_path / "log", preds, feedback)
    rc, report, html = _monitor(tmp_path, "run1", tmp_path / "log", now - 3700, now)
    assert rc == 0
    assert report["model"] == "restaurant-offers" and report["version"] == 1 and report["alias"] == "champion"
    assert report["window"]["served_rows"] == 1500
    res = report["results"]
    assert res["drift"]["drifted_columns"] == [], {c: r["score"] for c, r in res["drift"]["columns"].items()}
    assert res["quality"]["passed"], res["quality"]["failures"]
    assert res["performance"]["status"] == "measured" and res["performance"]["labelled_rows"] == 1500
    assert 0.5 < res["performance"]["current"]["roc_auc"] <= 1.0
    champion = res["performance"]["variants"]["champion"]
    assert champion["labels"] == 1500
    # realised business value with the evaluation's rules: margin - discount if redeemed, minus send cost
    df = pd.DataFrame([{**p["inputs"], **p["outputs"], "label": f["label"]}
                       for p, f in zip(preds, feedback, strict=True)])
    acted = df[df["prediction"] == 1]
    expected = ((acted["label"] == 1) * (acted["margin_if_redeemed"].fillna(0) - acted["discount_cost"].fillna(0))
                - acted["send_cost"]).sum()
    assert champion["business_value"] == pytest.approx(expected)
    assert res["sla"]["p95_ms"] > res["sla"]["p50_ms"] > 0
    assert not [a for a in report["alerts"] if a["severity"] == "critical"]
    assert "Monitor report" in html and html.count("data:image/png;base64,") >= 2  # latency + performance


def test_a_feature_absent_from_the_log_is_reported_not_a_crash(project, tmp_path, monkeypatch):
    """A team whose governance denies a feature gets it dropped from the prediction log; the drift
    monitor marks it missing, and the HTML report used to crash formatting its absent score."""
    monkeypatch.chdir(project)
    now = time.time()
    preds, _ = synthetic_records(bundle_dir(project), 300, seed=12, start=now - 3600, span_s=3000)
    for p in preds:
        p["inputs"].pop("distance_km")
    write_log(tmp_path / "log", preds)
    rc, report, html = _monitor(tmp_path, "run1", tmp_path / "log", now - 3700, now)
    assert rc == 0
    assert report["results"]["drift"]["columns"]["distance_km"]["missing"] is True
    assert "distance_km" in html and "not in the log" in html


def test_persistent_drift_fires_a_critical_rule_and_exits_nonzero(project, tmp_path, monkeypatch):
    monkeypatch.chdir(project)
    now = time.time()
    b = bundle_dir(project)
    p1, _ = synthetic_records(b, 1500, seed=21, start=now - 7200, span_s=3000, drift=True)
    p2, _ = synthetic_records(b, 1500, seed=22, start=now - 3600, span_s=3000, drift=True)
    write_log(tmp_path / "log", p1 + p2)
    rc1, r1, _ = _monitor(tmp_path, "w1", tmp_path / "log", now - 7300, now - 3650, CRITICAL_DRIFT)
    drifted = set(r1["results"]["drift"]["drifted_columns"])
    assert {"distance_km", "visits_90d", "region"} <= drifted
    assert rc1 == 0 and r1["alerts"] == []  # drifting in one window is not yet an alert
    rc2, r2, html = _monitor(tmp_path, "w2", tmp_path / "log", now - 3640, now, CRITICAL_DRIFT)
    assert rc2 == 2
    assert r2["status"] == "critical" and r2["alerts"][0]["rule"] == "drift"
    assert {"distance_km", "region"} <= set(r2["results"]["drift"]["persistent_columns"])
    assert "distance_km" in html and html.count("data:image/png;base64,") >= 4  # distributions + drift over time
    alerts = [json.loads(x) for x in (tmp_path / "state" / "alerts.jsonl").read_text().splitlines()]
    assert alerts[-1]["rule"] == "drift" and alerts[-1]["severity"] == "critical"
    # the same window again: still exits 2 for cron/CI, but the notification is deduplicated
    rc3, r3, _ = _monitor(tmp_path, "w3", tmp_path / "log", now - 3640, now, CRITICAL_DRIFT)
    assert rc3 == 2 and r3["alerts"][0]["suppressed"]
    assert len((tmp_path / "state" / "alerts.jsonl").read_text().splitlines()) == len(alerts)


def test_feedback_import_joins_labels_and_keeps_rejects(project, tmp_path, monkeypatch):
    monkeypatch.chdir(project)
    now = time.time()
    preds, feedback = synthetic_records(bundle_dir(project), 300, seed=31, start=now - 600, span_s=500)
    write_log(tmp_path / "log", preds)
    labels = pd.DataFrame(feedback[:200])[["request_id", "label"]]
    labels = pd.concat([labels, pd.DataFrame({"request_id": [None, "r31-5"], "label": [1, None]})])
    labels.to_csv(tmp_path / "labels.csv", index=False)
    run = tmp_path / "import"
    rc = main(["feedback", "import", str(tmp_path / "labels.csv"), f"monitor.prediction_log.root={tmp_path / 'log'}",
               f"hydra.run.dir={run}"])
    assert rc == 0
    rejected = pd.read_parquet(run / "feedback_rejected.parquet")
    assert sorted(rejected["reason"]) == ["missing request_id", "neither label nor reward"]
    joined = read_window(tmp_path / "log", "restaurant-offers", 0, now + 10)
    assert joined["label"].notna().sum() == 200
    assert main(["feedback", "import", str(tmp_path / "missing.csv"), f"hydra.run.dir={run}"]) == 1


def test_feedback_import_keeps_unparseable_lines_with_their_line_numbers(project, tmp_path, monkeypatch, capsys):
    """The shared text layer: a semicolon file is read as one, a ragged line and an unclosed quote
    are rejected with their line numbers, and rows in = written + rejected."""
    monkeypatch.chdir(project)
    now = time.time()
    preds, feedback = synthetic_records(bundle_dir(project), 50, seed=33, start=now - 600, span_s=500)
    write_log(tmp_path / "log", preds)
    lines = ["request_id;label"] + [f"{f['request_id']};{f['label']}" for f in feedback[:20]]
    lines.insert(5, "r33-x;1;extra")  # line 6: three fields
    lines.append('"r33-y;1')  # line 23: a quote never closed
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    run = tmp_path / "import"
    assert main(["feedback", "import", str(tmp_path / "labels.csv"), f"monitor.prediction_log.root={tmp_path / 'log'}",
                 f"hydra.run.dir={run}"]) == 0
    assert "22 rows in = 20 written + 2 rejected" in capsys.readouterr().out
    rejected = pd.read_parquet(run / "feedback_rejected.parquet")
    assert rejected["line"].tolist() == [6, 23] and rejected["reason"].str.startswith("unparseable").all()
    assert read_window(tmp_path / "log", "restaurant-offers", 0, now + 10)["label"].notna().sum() == 20


def test_empty_log_skips_monitors_and_still_reports(project, tmp_path, monkeypatch):
    monkeypatch.chdir(project)
    rc, report, html = _monitor(tmp_path, "empty", tmp_path / "nolog", 0, time.time())
    assert rc == 0 and report["window"]["rows"] == 0 and report["alerts"] == []
    assert all("skipped" in r for r in report["results"].values())
    assert "skipped: only 0 predictions" in html


def test_feedback_import_rewards_reach_the_traffic_policy(project, tmp_path, monkeypatch):
    monkeypatch.chdir(project)
    now = time.time()
    preds, _ = synthetic_records(bundle_dir(project), 60, seed=41, start=now - 600, span_s=500, variant="challenger")
    write_log(tmp_path / "log", preds)
    pd.DataFrame({"request_id": [p["request_id"] for p in preds], "reward": [1.0] * 40 + [0.0] * 20}).to_parquet(
        tmp_path / "rewards.parquet")
    state = tmp_path / "traffic.json"
    rc = main(["feedback", "import", str(tmp_path / "rewards.parquet"), "monitor/traffic=thompson",
               f"monitor.traffic.state_path={state}", f"monitor.prediction_log.root={tmp_path / 'log'}",
               f"hydra.run.dir={tmp_path / 'run'}"])
    assert rc == 0
    saved = json.loads(state.read_text())
    assert saved["posterior"]["challenger"] == [41.0, 21.0]  # Beta(1, 1) + 40 successes, 20 failures
    assert saved["counts"]["challenger"]["rewards"] == 60
