"""Notifications reach a real webhook receiver on 127.0.0.1 as Slack-compatible JSON, a JSONL
file and the log; a dead sink never undoes or blocks the committed change."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlbp.registry.policy import Policy
from mlbp.registry.store import Registry


@pytest.fixture
def receiver():
    got: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append({"content_type": self.headers["Content-Type"], "body": json.loads(body)})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    server.shutdown()
    server.server_close()


def test_events_reach_webhook_jsonl_and_log(tmp_path, receiver, bundle_factory, caplog):
    url, got = receiver
    sinks = [{"_target_": "mlbp.registry.notify.WebhookSink", "url": url, "events": ["promote", "rollback"]},
             {"_target_": "mlbp.registry.notify.JsonlSink", "path": str(tmp_path / "events.jsonl")},
             {"_target_": "mlbp.registry.notify.LogSink", "level": "WARNING"}]
    reg = Registry(f"sqlite:///{tmp_path / 'r.db'}", tmp_path / "reg", Policy(), sinks)
    for seed in "ab":
        b, sha = bundle_factory(seed)
        reg.register("m", b, sha, author="dave")
    with caplog.at_level(logging.WARNING, logger="mlbp.registry.notify"):
        reg.promote("m", 1, "champion", actor="alice", reason="first release")
        reg.promote("m", 2, "champion", actor="alice")
        reg.rollback("m", "champion", actor="bob", reason="latency")
    assert [g["body"]["mlbp"]["kind"] for g in got] == ["promote", "promote", "rollback"]  # filtered: no register
    slack = got[-1]["body"]
    assert got[-1]["content_type"] == "application/json"
    assert slack["text"] == "rollback: m 'champion' v2 -> v1 by bob — latency"
    assert slack["blocks"][0]["type"] == "section" and slack["blocks"][0]["text"]["type"] == "mrkdwn"
    lines = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [x["kind"] for x in lines] == ["register", "register", "promote", "promote", "rollback"]
    assert lines[-1]["seq"] == reg.audit.records()[-1]["seq"]  # the notified event is the audited record
    assert "promote: m 'champion' vNone -> v1 by alice — first release" in caplog.text


def test_a_dead_webhook_never_blocks_the_change(tmp_path, bundle_factory):
    sinks = [{"_target_": "mlbp.registry.notify.WebhookSink", "url": "http://127.0.0.1:9/none", "retries": 0,
              "timeout": 0.5}]
    reg = Registry(f"sqlite:///{tmp_path / 'r.db'}", tmp_path / "reg", Policy(), sinks)
    b, sha = bundle_factory("a")
    reg.register("m", b, sha, author="dave")
    assert reg.promote("m", 1, "champion", actor="alice")["after"] == 1
    assert reg.aliases("m") == {"champion": 1}


def test_a_sink_outside_the_allow_list_is_refused(tmp_path):
    from mlbp.engine.errors import MlbpError

    with pytest.raises(MlbpError, match="allow-list"):
        Registry(f"sqlite:///{tmp_path / 'r.db'}", tmp_path / "reg", Policy(), [{"_target_": "os.system"}])
