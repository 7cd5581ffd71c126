"""Alert rules over monitor results, sinks that deliver them, deduplication, and actions.

A rule names a monitor, a condition on that monitor's result, and a severity::

    rules:
      - {name: feature-drift, monitor: drift, condition: "alert == true", severity: warning}
      - {name: latency, monitor: sla, condition: "p95_ms > 250", severity: critical}

A condition is `<dotted path> <op> <JSON literal>` with op one of == != > >= < <= contains;
there is no eval. A rule that fired for the same subject (model, rule, and the same columns when
the observed value is a list) within `dedup_minutes` is recorded as suppressed and not sent
again. Sinks: `log`, `jsonl` (one JSON object per line) and `webhook` (Slack-compatible JSON: `text` plus `blocks`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import operator
import re
import time
import urllib.request
from pathlib import Path
from typing import Any

from mlbp.engine.errors import MlbpError, Reason

log = logging.getLogger("mlbp.alerts")

SEVERITIES = ("info", "warning", "critical")
_OPS = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, "<=": operator.le, ">": operator.gt,
        "<": operator.lt, "contains": lambda a, b: b in (a or [])}
_COND = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(==|!=|>=|<=|>|<|contains)\s*(.+?)\s*$")


def lookup(result: dict[str, Any], path: str) -> Any:
    cur: Any = result
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif part == "length" and isinstance(cur, list | dict):
            cur = len(cur)
        else:
            return None
    return cur


class Rule:
    def __init__(self, name: str, monitor: str, condition: str, severity: str = "warning", key: str = "") -> None:
        m = _COND.match(condition or "")
        if not m:
            raise MlbpError("cannot read alert condition", key=f"{key}.condition",
                            expected="'<path> <op> <value>', e.g. 'p95_ms > 250' or 'alert == true'", got=condition)
        if severity not in SEVERITIES:
            raise MlbpError("unknown severity", key=f"{key}.severity", expected=list(SEVERITIES), got=severity)
        self.name, self.monitor, self.condition, self.severity = name, monitor, condition, severity
        self.path, self.op = m.group(1), m.group(2)
        raw = m.group(3)
        try:
            self.value = json.loads(raw)
        except json.JSONDecodeError:
            self.value = raw.strip("'\"")

    def evaluate(self, results: dict[str, Any]) -> tuple[bool, Any]:
        """(fired, the observed value); a monitor that did not run never fires."""
        res = results.get(self.monitor)
        if not isinstance(res, dict):
            return False, None
        got = lookup(res, self.path)
        if got is None:
            return False, None
        try:
            return bool(_OPS[self.op](got, self.value)), got
        except TypeError:
            return False, got


class LogSink:
    def send(self, alert: dict[str, Any]) -> None:
        level = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.ERROR}[alert["severity"]]
        log.log(level, "[%s] %s", alert["severity"], alert["message"])


class JsonlSink:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def send(self, alert: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as fh:
            fh.write(json.dumps(alert, default=str) + "\n")


class WebhookSink:
    """POST Slack-compatible JSON (`text` + `blocks`); a Slack incoming webhook accepts it as is."""

    def __init__(self, url: str, timeout: float = 5.0, min_severity: str = "warning") -> None:
        self.url = url
        self.timeout = timeout
        self.min_severity = min_severity

    def payload(self, alert: dict[str, Any]) -> dict[str, Any]:
        icon = {"info": ":information_source:", "warning": ":warning:", "critical": ":rotating_light:"}
        text = f"{icon[alert['severity']]} *{alert['severity'].upper()}* {alert['message']}"
        fields = [{"type": "mrkdwn", "text": f"*{k}*\n{alert[k]}"} for k in ("model", "rule", "monitor", "value")
                  if alert.get(k) is not None]
        return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}},
                                         {"type": "section", "fields": fields[:10]}],
                "mlbp": alert}

    def send(self, alert: dict[str, Any]) -> None:
        if SEVERITIES.index(alert["severity"]) < SEVERITIES.index(self.min_severity):
            return
        body = json.dumps(self.payload(alert), default=str).encode()
        req = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"},
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 (configured URL)
                resp.read()
        except OSError as exc:  # a dead receiver must not hide the alert: it still went to the other sinks
            log.error("webhook %s failed: %s", self.url, exc)
            alert.setdefault("delivery_errors", []).append(f"webhook: {exc}")


class DedupState:
    """Last time each alert fingerprint was sent, in a JSON file beside the monitor state."""

    def __init__(self, path: str | Path, minutes: float) -> None:
        self.path = Path(path)
        self.seconds = float(minutes) * 60.0
        self.seen: dict[str, dict[str, Any]] = json.loads(self.path.read_text()) if self.path.exists() else {}

    def check(self, fingerprint: str, now: float) -> bool:
        """True if this alert should be sent (not seen within the dedup window)."""
        entry = self.seen.get(fingerprint)
        if entry and now - entry["sent"] < self.seconds:
            entry["suppressed"] = entry.get("suppressed", 0) + 1
            return False
        self.seen[fingerprint] = {"sent": now, "suppressed": 0}
        return True

    def save(self, now: float | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        cutoff = (time.time() if now is None else now) - max(self.seconds, 86400.0) * 7
        self.seen = {k: v for k, v in self.seen.items() if v["sent"] >= cutoff}
        self.path.write_text(json.dumps(self.seen))


def build_sinks(specs: list[dict[str, Any]] | None) -> list[Any]:
    kinds = {"log": LogSink, "jsonl": JsonlSink, "webhook": WebhookSink}
    sinks = []
    for i, spec in enumerate(specs or [{"type": "log"}]):
        spec = dict(spec)
        kind = spec.pop("type", None)
        if kind not in kinds:
            raise MlbpError("unknown alert sink", key=f"monitor.alerts.sinks[{i}].type", expected=sorted(kinds),
                            got=kind)
        sinks.append(kinds[kind](**spec))
    return sinks


def fingerprint(model: str, rule: Rule, value: Any) -> str:
    """Same model + rule (+ the same set of columns, for list values) = the same alert. Numbers are left
    out: a p95 of 181 ms after 180 ms is the same ongoing breach, not a new one."""
    subject = sorted(map(str, value)) if isinstance(value, list | dict) else (value if isinstance(value, str)
                                                                               else None)
    raw = json.dumps([model, rule.name, rule.monitor, rule.condition, subject], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def evaluate_rules(rules: list[dict[str, Any]], results: dict[str, Any], model: str, sinks: list[Any],
                   dedup: DedupState | None, now: float | None = None) -> list[dict[str, Any]]:
    """Every rule that fired, each marked sent or suppressed; sent ones went to every sink."""
    now = time.time() if now is None else now
    fired = []
    for i, spec in enumerate(rules or []):
        rule = Rule(**spec, key=f"monitor.alerts.rules[{i}]")
        hit, value = rule.evaluate(results)
        if not hit:
            continue
        fp = fingerprint(model, rule, value)
        send = dedup.check(fp, now) if dedup else True
        alert = {"time": now, "model": model, "rule": rule.name, "monitor": rule.monitor, "severity": rule.severity,
                 "condition": rule.condition, "value": value, "fingerprint": fp, "suppressed": not send,
                 "message": f"{model}: {rule.name} ({rule.monitor}: {rule.condition}; observed {value})"}
        if send:
            for sink in sinks:
                sink.send(alert)
        fired.append(alert)
    if dedup:
        dedup.save(now)
    return fired


def check_rules(rules: list[dict[str, Any]] | None) -> None:
    """Build every rule once so a bad condition fails before any monitor runs."""
    for i, spec in enumerate(rules or []):
        if not isinstance(spec, dict) or not {"name", "monitor", "condition"} <= set(spec):
            raise MlbpError("alert rule needs name, monitor and condition", reason=Reason.CONFIG,
                            key=f"monitor.alerts.rules[{i}]", expected="{name, monitor, condition, severity}",
                            got=spec)
        Rule(**spec, key=f"monitor.alerts.rules[{i}]")
