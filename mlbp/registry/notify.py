"""Notification sinks: every registry event (register, approve, promote, rollback, archive) is
sent to the sinks listed in `registry.notify.sinks` after its change has committed.

    sinks:
      - {_target_: mlbp.registry.notify.LogSink}
      - {_target_: mlbp.registry.notify.JsonlSink, path: .mlbp/events.jsonl}
      - {_target_: mlbp.registry.notify.WebhookSink, url: "https://hooks.slack.com/...", events: [promote, rollback]}

A sink that fails is logged and skipped: the change is already recorded in the audit trail,
and a Slack outage must never block a rollback.
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger("mlbp.registry.notify")


def summary(event: dict[str, Any]) -> str:
    """One line a person reads in a channel: who did what to which model, and why."""
    kind, actor = event.get("kind", "?"), event.get("actor", "?")
    subject = event.get("subject", "")
    d = event.get("details") or {}
    if kind in ("promote", "rollback", "auto_promote", "auto_rollback"):
        text = f"{kind}: {d.get('model')} '{d.get('alias')}' v{d.get('before')} -> v{d.get('after')} by {actor}"
    elif kind == "register":
        text = f"register: {d.get('model')} v{d.get('version')} by {actor}"
    elif kind == "approve":
        text = f"approve: {d.get('model')} v{d.get('version')} for '{d.get('alias')}' by {actor}"
    else:
        text = f"{kind}: {subject} by {actor}"
    if event.get("reason"):
        text += f" — {event['reason']}"
    return text


class Sink:
    """A sink receives committed events; `events` limits which kinds it gets (empty = all)."""

    def __init__(self, events: Iterable[str] = ()) -> None:
        self.events = tuple(events or ())

    def wants(self, event: dict[str, Any]) -> bool:
        return not self.events or event.get("kind") in self.events

    def send(self, event: dict[str, Any]) -> None:  # pragma: no cover - protocol
        raise NotImplementedError


class LogSink(Sink):
    """Logs one line per event on the `mlbp.registry.notify` logger."""

    def __init__(self, level: str = "WARNING", events: Iterable[str] = ()) -> None:
        super().__init__(events)
        self.level = logging.getLevelName(level.upper()) if isinstance(level, str) else level

    def send(self, event: dict[str, Any]) -> None:
        log.log(self.level, "%s", summary(event))


class JsonlSink(Sink):
    """Appends one JSON object per event to a file (one `write` per line, so lines never interleave)."""

    def __init__(self, path: str, events: Iterable[str] = ()) -> None:
        super().__init__(events)
        self.path = Path(path)

    def send(self, event: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps({**event, "text": summary(event)}, default=str, sort_keys=True) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


class WebhookSink(Sink):
    """POSTs Slack-compatible JSON (`text` plus `blocks`) to a webhook URL; the raw event rides
    along under `mlbp` for receivers that want structure."""

    def __init__(self, url: str, events: Iterable[str] = (), timeout: float = 5.0, retries: int = 2) -> None:
        super().__init__(events)
        self.url = url
        self.timeout = timeout
        self.retries = retries

    def payload(self, event: dict[str, Any]) -> dict[str, Any]:
        text = summary(event)
        d = event.get("details") or {}
        fields = [{"type": "mrkdwn", "text": f"*{k}*\n{d[k]}"} for k in ("model", "alias", "version", "before", "after")
                  if d.get(k) is not None]
        blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*mlbp* {text}"}}]
        if fields:
            blocks.append({"type": "section", "fields": fields[:10]})
        return {"text": text, "blocks": blocks, "mlbp": event}

    def send(self, event: dict[str, Any]) -> None:
        body = json.dumps(self.payload(event), default=str).encode()
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - configured URL
                    resp.read()
                return
            except OSError:
                if attempt == self.retries:
                    raise
                time.sleep(0.2 * (attempt + 1))


class Notifier:
    """Fans one event out to every sink that wants it; a failing sink never raises."""

    def __init__(self, sinks: Iterable[Sink] = ()) -> None:
        self.sinks = list(sinks)

    def __call__(self, event: dict[str, Any]) -> list[str]:
        failures = []
        for sink in self.sinks:
            if not sink.wants(event):
                continue
            try:
                sink.send(event)
            except Exception as exc:  # noqa: BLE001 - a sink must never undo a committed change
                failures.append(f"{type(sink).__name__}: {exc}")
                log.warning("notification sink %s failed: %s", type(sink).__name__, exc)
        return failures
