"""What an alert may do on its own: roll the alias back, or start a retraining run.

Rollback has one rule and one mechanism, wherever the alert comes from: `registry.auto_rollback`
(enabled, alias, severities), applied by the registry's `on_alert`. `mlbp monitor` calls it for
every alert it sends, as the dashboard's alert endpoint does for an alert posted to it, so the two
can never disagree. Retraining is a monitor action (conf/monitor/alerts/default.yaml)::

    actions:
      on: critical
      retrain: {overrides: [experiment=quick], wait: false}   # runs `mlbp <overrides>` as a subprocess
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from mlbp.engine.errors import MlbpError, Reason

log = logging.getLogger("mlbp.monitor.actions")


def retrain(overrides: list[str], cwd: str | Path | None = None, wait: bool = False,
            log_file: str | Path | None = None) -> dict[str, Any]:
    """Start `mlbp <overrides>` in a new process (returns at once unless wait=true)."""
    cmd = [sys.executable, "-m", "mlbp.cli", *[str(o) for o in overrides]]
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115 (the child owns it)
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    result: dict[str, Any] = {"action": "retrain", "command": cmd, "pid": proc.pid}
    if wait:
        result["returncode"] = proc.wait()
    log.warning("started retraining run pid=%s: %s", proc.pid, " ".join(cmd))
    return result


ACTIONS = ("on", "retrain")


def check_actions(spec: dict[str, Any] | None) -> None:
    """Refuse an unknown action now, before the window is read; `rollback` moved to the registry."""
    for key in spec or {}:
        if key == "rollback":
            raise MlbpError("rollback is the registry's rule, not a monitor action", reason=Reason.CONFIG,
                            key="monitor.alerts.actions.rollback",
                            fix="set registry.auto_rollback.enabled=true (and its alias and severities): "
                                "one rule for `mlbp monitor` and the dashboard")
        if key not in ACTIONS:
            raise MlbpError(f"unknown monitor action '{key}'", reason=Reason.UNKNOWN_KEY,
                            key=f"monitor.alerts.actions.{key}", expected=list(ACTIONS), got=key)


def auto_rollback(alerts: list[dict[str, Any]], model: str, registry_factory: Any) -> dict[str, Any] | None:
    """Offer each sent alert to the registry's `on_alert` (registry.auto_rollback); the first it
    acts on moves the alias back, once per window."""
    sent = [a for a in alerts if not a.get("suppressed")]
    if not sent or registry_factory is None:
        return None
    reg = registry_factory()
    for alert in sent:
        moved = reg.on_alert(model, alert, via="mlbp monitor")
        if moved is not None:
            log.warning("rolled %s back: %s", model, moved)
            return {"action": "rollback", "via": "registry.auto_rollback", "model": model, "result": moved}
    return None


def run_actions(alerts: list[dict[str, Any]], spec: dict[str, Any] | None, model: str, registry_factory,
                cwd: str | Path | None = None, log_file: str | Path | None = None) -> list[dict[str, Any]]:
    """The registry's automatic rollback (its own rule), then the configured actions once if any
    alert at `on` severity was sent (not suppressed)."""
    spec = spec or {}
    check_actions(spec)
    done = [r for r in [auto_rollback(alerts, model, registry_factory)] if r is not None]
    trigger = spec.get("on", "critical")
    if not any(a["severity"] == trigger and not a["suppressed"] for a in alerts):
        return done
    if spec.get("retrain"):
        r = spec["retrain"]
        done.append(retrain(list(r.get("overrides", [])), cwd=cwd, wait=bool(r.get("wait", False)),
                            log_file=log_file))
    return done
