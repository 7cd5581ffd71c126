"""What a critical alert may do on its own: start a retraining run, or roll the alias back.

YAML (conf/monitor/alerts/default.yaml)::

    actions:
      on: critical
      retrain: {overrides: [experiment=quick], wait: false}   # runs `mlbp <overrides>` as a subprocess
      rollback: {alias: champion}                              # moves the alias to the previous version

Rollback prefers the registry's own `rollback(name, alias)` (which keeps history and audits the
change); on a registry without it, the alias moves to the highest existing version below the
current one.
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


def rollback(registry: Any, name: str, alias: str = "champion", reason: str = "") -> dict[str, Any]:
    """Move `alias` back one version; uses registry.rollback when the registry has one."""
    native = getattr(registry, "rollback", None)
    if callable(native):
        try:
            res = native(name, alias, actor="mlbp-monitor", reason=reason)
        except TypeError:  # a registry whose rollback takes only (name, alias)
            res = native(name, alias)
        return {"action": "rollback", "via": "registry.rollback", "model": name, "alias": alias, "result": res}
    aliases = registry.aliases(name)
    if alias not in aliases:
        raise MlbpError(f"model '{name}' has no alias '{alias}' to roll back", reason=Reason.REGISTRY,
                        key="monitor.alerts.actions.rollback.alias", expected=sorted(aliases), got=alias)
    current = int(aliases[alias])
    older = [v for v in registry.versions(name) if v < current]
    if not older:
        raise MlbpError(f"alias '{alias}' of '{name}' is at v{current}; there is no earlier version",
                        reason=Reason.REGISTRY, key="monitor.alerts.actions.rollback",
                        fix="register an earlier version or roll back by hand")
    registry.set_alias(name, alias, older[-1])
    from mlbp.governance.audit import AuditLog

    AuditLog(registry.url).append("rollback", "mlbp-monitor", f"{name}@{alias}",
                                  {"from": current, "to": older[-1]}, reason or "critical monitor alert")
    log.warning("rolled %s@%s back from v%d to v%d", name, alias, current, older[-1])
    return {"action": "rollback", "via": "previous_version", "model": name, "alias": alias,
            "from": current, "to": older[-1]}


def run_actions(alerts: list[dict[str, Any]], spec: dict[str, Any] | None, model: str, registry_factory,
                cwd: str | Path | None = None, log_file: str | Path | None = None) -> list[dict[str, Any]]:
    """Run the configured actions once if any alert at `on` severity was sent (not suppressed)."""
    spec = spec or {}
    trigger = spec.get("on", "critical")
    if not any(a["severity"] == trigger and not a["suppressed"] for a in alerts):
        return []
    done = []
    reason = "; ".join(a.get("message", a.get("rule", "")) for a in alerts
                       if a["severity"] == trigger and not a["suppressed"])
    if spec.get("rollback"):
        done.append(rollback(registry_factory(), model, spec["rollback"].get("alias", "champion"), reason=reason))
    if spec.get("retrain"):
        r = spec["retrain"]
        done.append(retrain(list(r.get("overrides", [])), cwd=cwd, wait=bool(r.get("wait", False)),
                            log_file=log_file))
    return done
