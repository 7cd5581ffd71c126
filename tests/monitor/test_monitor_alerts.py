"""Alerts: rules fire on monitor results, go to a JSONL file and a real webhook, repeats are deduped;
rollback moves the alias back in a real registry."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from mlbp.engine.errors import MlbpError
from mlbp.monitor.alerts import DedupState, JsonlSink, Rule, WebhookSink, build_sinks, evaluate_rules

RESULTS = {"sla": {"p95_ms": 180.0, "error_rate": 0.002, "breached": ["p95_ms"]},
           "drift": {"alert": True, "persistent_columns": ["distance_km"], "drifted_share": 0.4}}
RULES = [{"name": "latency", "monitor": "sla", "condition": "p95_ms > 100", "severity": "critical"},
         {"name": "errors", "monitor": "sla", "condition": "error_rate > 0.01", "severity": "critical"},
         {"name": "drift", "monitor": "drift", "condition": "persistent_columns contains \"distance_km\"",
          "severity": "warning"},
         {"name": "perf", "monitor": "performance", "condition": "alert == true", "severity": "critical"}]


class Receiver:
    """A real HTTP server on 127.0.0.1 that records what it is sent."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.headers["Content-Type"], json.loads(body)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def test_rules_fire_and_reach_jsonl_and_webhook(tmp_path):
    with Receiver() as rx:
        sinks = build_sinks([{"type": "log"}, {"type": "jsonl", "path": str(tmp_path / "alerts.jsonl")},
                             {"type": "webhook", "url": rx.url}])
        fired = evaluate_rules(RULES, RESULTS, "m", sinks, DedupState(tmp_path / "d.json", 60), now=1000.0)
    assert [a["rule"] for a in fired] == ["latency", "drift"]
    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [x["rule"] for x in lines] == ["latency", "drift"] and lines[0]["value"] == 180.0
    assert len(rx.received) == 2
    ctype, body = rx.received[0]
    assert ctype == "application/json"
    assert "CRITICAL" in body["text"] and "latency" in body["text"]  # Slack shows `text`
    assert body["blocks"][0]["type"] == "section" and body["blocks"][0]["text"]["type"] == "mrkdwn"


def test_repeated_alerts_are_deduplicated_until_the_window_passes(tmp_path):
    sink = JsonlSink(tmp_path / "a.jsonl")
    state = tmp_path / "dedup.json"
    rules = [RULES[0], RULES[2]]

    def run(results, now):
        return [(a["rule"], a["suppressed"]) for a in
                evaluate_rules(rules, results, "m", [sink], DedupState(state, 60), now=now)]

    assert run(RESULTS, 1000.0) == [("latency", False), ("drift", False)]
    # the same ongoing breach (another latency figure, the same drifting columns): not sent again
    worse = {"sla": {"p95_ms": 400.0}, "drift": {"persistent_columns": ["distance_km"]}}
    assert run(worse, 1600.0) == [("latency", True), ("drift", True)]
    # a new column starts drifting: that is news
    spread = {"sla": {"p95_ms": 400.0}, "drift": {"persistent_columns": ["distance_km", "region"]}}
    assert run(spread, 1700.0) == [("latency", True), ("drift", False)]
    assert run(RESULTS, 1000.0 + 3601) == [("latency", False), ("drift", False)]  # the hour has passed
    assert len((tmp_path / "a.jsonl").read_text().splitlines()) == 5
    assert DedupState(state, 60).seen  # kept between runs


def test_dead_webhook_does_not_lose_the_alert(tmp_path):
    with Receiver() as rx:
        url = rx.url
    sinks = [WebhookSink(url, timeout=1), JsonlSink(tmp_path / "a.jsonl")]
    fired = evaluate_rules(RULES[:1], RESULTS, "m", sinks, None)
    assert fired[0]["delivery_errors"] and (tmp_path / "a.jsonl").exists()


def test_bad_rules_name_the_key():
    with pytest.raises(MlbpError) as err:
        Rule("x", "sla", "p95_ms is big", key="monitor.alerts.rules[0]")
    assert err.value.key == "monitor.alerts.rules[0].condition"
    with pytest.raises(MlbpError):
        Rule("x", "sla", "p95_ms > 1", severity="panic")
    with pytest.raises(MlbpError):
        build_sinks([{"type": "pager"}])


def _registry_with_history(project, tmp_path, enabled: bool):
    from monitor_fixtures import bundle_dir

    from mlbp.registry.store import registry_of

    reg = registry_of({"db": f"sqlite:///{tmp_path / 'r.db'}", "root": tmp_path / "registry",
                       "auto_rollback": {"enabled": enabled, "alias": "champion", "severities": ["critical"]}})
    for sha in ("aaa", "bbb", "ccc"):
        reg.register("m", bundle_dir(project), sha)
    reg.set_alias("m", "champion", 2)
    reg.set_alias("m", "champion", 3)  # v2 held the alias before v3: that is where a rollback goes
    return reg


@pytest.mark.parametrize("enabled", [True, False])
def test_the_monitor_rolls_back_by_the_registrys_one_rule(project, tmp_path, enabled):
    """`registry.auto_rollback` decides, through the registry's on_alert, as the dashboard's alert
    endpoint does: a sent critical alert moves the champion back once; a suppressed one, a warning,
    or a disabled rule does nothing."""
    from mlbp.monitor.actions import run_actions

    reg = _registry_with_history(project, tmp_path, enabled)
    quiet = [{"severity": "critical", "suppressed": True, "message": "p99 over target"},
             {"severity": "warning", "suppressed": False, "message": "drift"}]
    assert run_actions(quiet, None, "m", registry_factory=lambda: reg) == []
    assert reg.aliases("m")["champion"] == 3
    loud = [{"severity": "critical", "suppressed": False, "message": "error rate 40%"}] * 2
    done = run_actions(loud, None, "m", registry_factory=lambda: reg)
    if enabled:
        assert [d["via"] for d in done] == ["registry.auto_rollback"] and reg.aliases("m")["champion"] == 2
        last = reg.audit.records(kind="auto_rollback")[-1]
        assert last["actor"] == "monitor" and "error rate 40%" in last["reason"]
        assert last["details"]["via"] == "mlbp monitor"
    else:
        assert done == [] and reg.aliases("m")["champion"] == 3


def test_a_rollback_monitor_action_is_refused_naming_the_registry_rule():
    from mlbp.monitor.actions import check_actions

    with pytest.raises(MlbpError, match="registry.auto_rollback.enabled=true") as err:
        check_actions({"on": "critical", "rollback": {"alias": "champion"}})
    assert err.value.key == "monitor.alerts.actions.rollback"
    with pytest.raises(MlbpError, match="unknown monitor action 'retrian'"):
        check_actions({"retrian": {}})


def test_retrain_action_starts_an_mlbp_process_only_for_a_sent_critical_alert(tmp_path):
    from mlbp.monitor.actions import run_actions

    spec = {"on": "critical", "retrain": {"overrides": ["graph", "graph.format=json"], "wait": True}}
    sent = [{"severity": "critical", "suppressed": False}]
    done = run_actions(sent, spec, "m", registry_factory=None, cwd=tmp_path, log_file=tmp_path / "retrain.log")
    assert done[0]["action"] == "retrain" and done[0]["returncode"] == 0
    assert '"ingest"' in (tmp_path / "retrain.log").read_text()  # the child really ran `mlbp graph`
    assert run_actions([{"severity": "critical", "suppressed": True}], spec, "m", None) == []
    assert run_actions([{"severity": "warning", "suppressed": False}], spec, "m", None) == []
