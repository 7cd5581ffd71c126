"""Data quality against contract + profile, and SLA figures from the log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlbp.data.profile import profile_frame
from mlbp.monitor.quality import QualityMonitor
from mlbp.monitor.sla import SlaMonitor, parse_counters
from mlbp.monitor.window import Window

SIG = {"inputs": {"age": {"kind": "numeric", "nullable": False, "min": 0, "max": 120},
                  "income": {"kind": "numeric", "nullable": True},
                  "tier": {"kind": "categorical", "categories": ["a", "b"], "nullable": True},
                  "city": {"kind": "categorical", "categories": ["x", "y"], "nullable": True}}}


def test_quality_flags_each_problem_with_its_share_and_limit():
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"age": rng.integers(18, 90, 5000), "income": rng.normal(50, 10, 5000),
                          "tier": rng.choice(["a", "b"], 5000), "city": rng.choice(["x", "y"], 5000)})
    profile = profile_frame(train)
    cur = train.sample(1000, random_state=1).reset_index(drop=True).astype({"age": float, "income": object})
    cur.loc[:19, "age"] = np.nan          # 2% nulls in a non-nullable column
    cur.loc[20:69, "age"] = 150           # 5% above the contract max
    cur.loc[70:99, "tier"] = "c"          # 3% unseen category
    cur.loc[100:104, "income"] = "n/a"    # type errors
    cur = cur.drop(columns=["city"])      # a feature stops arriving
    res = QualityMonitor().check(cur, SIG, profile, {})
    by = {(f["column"], f["check"]): f for f in res["failures"]}
    assert by[("age", "null_share")]["share"] == pytest.approx(0.02) and by[("age", "null_share")]["limit"] == 0.0
    assert by[("age", "out_of_range")]["share"] == pytest.approx(50 / 980)
    assert by[("tier", "unseen_categories")]["share"] == pytest.approx(0.03)
    assert by[("tier", "unseen_categories")]["examples"] == {"c": 30}
    assert by[("income", "type_error")]["share"] == pytest.approx(0.005)
    assert ("city", "missing") in by
    assert not res["passed"] and res["failed_columns"] == ["age", "city", "income", "tier"]
    clean = QualityMonitor().check(train.sample(500, random_state=2), SIG, profile, {})
    assert clean["passed"], clean["failures"]


def test_contract_regex_is_checked_on_text_inputs():
    train = pd.DataFrame({"code": ["C0000001", "C0000002"] * 50})
    sig = {"inputs": {"code": {"kind": "categorical", "categories": []}}}
    contract = {"columns": {"code": {"regex": r"^C\d{7}$"}}}
    cur = pd.DataFrame({"code": ["C0000001"] * 95 + ["bad-id"] * 5})
    res = QualityMonitor(max_unseen=1.0).check(cur, sig, profile_frame(train), contract)
    assert res["failures"] == [{"column": "code", "check": "regex", "share": 0.05, "limit": 0.01,
                                "pattern": r"^C\d{7}$"}]


def test_contract_range_wins_over_training_range():
    train = pd.DataFrame({"age": np.arange(20, 60)})
    prof = profile_frame(train)
    cur = pd.DataFrame({"age": [10, 70, 30, 40]})
    by_profile = QualityMonitor(max_out_of_range=0).check(cur, {"inputs": {"age": {"kind": "numeric"}}}, prof, {})
    assert by_profile["columns"]["age"]["out_of_range_share"] == 0.5
    contract = {"columns": {"age": {"min": 0, "max": 100}}}
    by_contract = QualityMonitor(max_out_of_range=0).check(cur, {"inputs": {"age": {"kind": "numeric"}}}, prof,
                                                           contract)
    assert by_contract["passed"]


def _win(n=10_000, seed=0, span=100.0, error_share=0.0):
    rng = np.random.default_rng(seed)
    lat = rng.gamma(2.0, 5.0, n)
    err = np.where(rng.random(n) < error_share, "boom", None)
    f = pd.DataFrame({"time": np.sort(rng.random(n) * span) + 1000, "latency_ms": lat, "shadow": False,
                      "error": err})
    return Window(frame=f, start=1000.0, end=1000.0 + span, manifest={}, profile={}), lat


def test_sla_percentiles_error_rate_throughput_and_breaches():
    win, lat = _win(error_share=0.02)
    res = SlaMonitor(p50_ms=100, p95_ms=15, p99_ms=None, max_error_rate=0.01, min_throughput_rps=500).run(win)
    assert res["p50_ms"] == pytest.approx(np.percentile(lat, 50))
    assert res["p95_ms"] == pytest.approx(np.percentile(lat, 95))
    assert res["p99_ms"] == pytest.approx(np.percentile(lat, 99))
    assert res["error_rate"] == pytest.approx(0.02, abs=0.005)
    assert res["throughput_rps"] == pytest.approx(100.0)
    assert set(res["breached"]) == {"p95_ms", "error_rate", "throughput_rps"}
    assert res["latency_by_time"] and res["counts_from"] == "prediction_log"


def test_sla_prefers_the_servers_own_counters():
    text = ('# HELP mlbp_requests_total requests\nmlbp_requests_total{route="/predict",code="200"} 950\n'
            'mlbp_requests_total{route="/predict",code="422"} 50\nmlbp_errors_total 30\n')
    counts = parse_counters(text, {"requests": "mlbp_requests_total", "errors": "mlbp_errors_total"})
    assert counts == {"requests": 1000.0, "errors": 30.0}
    win, _ = _win()
    win.server_counts = counts
    res = SlaMonitor(max_error_rate=0.01).run(win)
    assert res["counts_from"] == "server" and res["error_rate"] == 0.03 and "error_rate" in res["breached"]


def test_sla_scrapes_a_real_metrics_endpoint():
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    text = b'mlbp_requests_total{endpoint="/predict",status="200"} 400\nmlbp_errors_total{endpoint="/predict"} 2\n'

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        win, _ = _win(n=100)
        res = SlaMonitor(metrics_url=f"http://127.0.0.1:{server.server_port}/metrics").run(win)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert res["counts_from"] == "server" and res["error_rate"] == pytest.approx(2 / 400)
