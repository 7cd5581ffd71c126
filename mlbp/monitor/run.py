"""One monitoring pass: read a window of the log, run every monitor, fire alerts, write the report.

`mlbp monitor` (in compose) resolves the bundle and builds the monitor objects from config, then
calls `monitor_window`. It returns the report dict; the exit code comes from `exit_code(report)`:
2 when a critical rule fired (even if its notification was deduplicated, so cron or CI still
acts), 0 otherwise.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import pandas as pd

from mlbp.engine.errors import MlbpError, Reason
from mlbp.monitor.actions import check_actions, run_actions
from mlbp.monitor.alerts import DedupState, build_sinks, check_rules, evaluate_rules
from mlbp.monitor.window import Window, read_window, time_range

log = logging.getLogger("mlbp.monitor")

REPORT_JSON = "monitor_report.json"
REPORT_HTML = "monitor_report.html"


def load_reference(bundle: str | Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(manifest, profile, contract) of a verified bundle; nothing is unpickled."""
    from mlbp.registry.bundle import verify

    bundle = Path(bundle)
    manifest = verify(bundle)
    profile_path = bundle / "profile.json"
    if not profile_path.exists():
        raise MlbpError(f"bundle {bundle} has no profile.json", reason=Reason.BUNDLE, key="bundle",
                        expected="a bundle packaged by mlbp (it saves the reference profile)", got=str(bundle))
    profile = json.loads(profile_path.read_text())
    contract_path = bundle / "contract.json"
    contract = json.loads(contract_path.read_text()) if contract_path.exists() else {}
    return manifest, profile, contract


def monitor_window(*, bundle: str | Path, version: int | str | None, model: str, log_root: str | Path,
                   state_dir: str | Path, out_dir: str | Path, monitors: dict[str, Any],
                   window: dict[str, Any] | None = None, alerts: dict[str, Any] | None = None,
                   alias: str | None = None, registry_factory=None, traffic: Any = None,
                   server_counts: dict[str, float] | None = None, now: float | None = None,
                   cwd: str | Path | None = None) -> dict[str, Any]:
    alerts = alerts or {}
    check_rules(alerts.get("rules"))
    check_actions(alerts.get("actions"))
    sinks = build_sinks(alerts.get("sinks"))
    window = window or {}
    manifest, profile, contract = load_reference(bundle)
    manifest = {**manifest, "version": version}
    start, end = time_range(window.get("start"), window.get("end"), window.get("last_hours"), now=now)
    frame = read_window(log_root, model, start, end, window.get("last_rows"))
    if window.get("last_rows") and len(frame):
        start, end = float(frame["time"].min()), float(frame["time"].max())
    state = Path(state_dir) / model
    win = Window(frame=frame, start=start, end=end, manifest=manifest, profile=profile, contract=contract,
                 state_dir=state, server_counts=server_counts or {})
    started = time.perf_counter()
    results: dict[str, Any] = {}
    min_rows = int(window.get("min_rows", 1))
    for name, mon in monitors.items():
        if mon is None:
            continue
        if len(win.served) < min_rows:
            results[name] = {"skipped": f"only {len(win.served)} predictions in the window (min_rows {min_rows})"}
            continue
        t0 = time.perf_counter()
        results[name] = mon.run(win)
        results[name]["seconds"] = round(time.perf_counter() - t0, 4)
    dedup = DedupState(state / "alert_dedup.json", float(alerts.get("dedup_minutes", 60)))
    fired = evaluate_rules(alerts.get("rules") or [], results, model, sinks, dedup, now=now)
    actions = run_actions(fired, alerts.get("actions"), model, registry_factory, cwd=cwd,
                          log_file=Path(out_dir) / "retrain.log")
    critical = [a for a in fired if a["severity"] == "critical"]
    report = {
        "model": model, "version": version, "alias": alias, "bundle": str(bundle),
        "window": {"start": start, "end": end, "rows": len(frame), "served_rows": len(win.served),
                   "start_iso": _iso(start), "end_iso": _iso(end), **{k: v for k, v in window.items()
                                                                       if k not in ("start", "end")}},
        "status": "critical" if critical else ("warning" if any(a["severity"] == "warning" for a in fired) else "ok"),
        "alerts": fired, "actions": actions, "results": results,
        "traffic": traffic.stats() if traffic is not None and hasattr(traffic, "stats") else None,
        "seconds": round(time.perf_counter() - started, 3),
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / REPORT_JSON).write_text(json.dumps(_finite(_plain(report)), indent=2, allow_nan=False))
    (out / REPORT_HTML).write_text(render_html(report, win))
    return report


def exit_code(report: dict[str, Any]) -> int:
    return 2 if any(a["severity"] == "critical" for a in report["alerts"]) else 0


def render_html(report: dict[str, Any], win: Window) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    from mlbp.monitor import plots

    figs: dict[str, Any] = {"distributions": {}}
    drift = report["results"].get("drift") or {}
    cols = drift.get("columns") or {}
    if cols:
        inputs = win.inputs()
        show = drift.get("drifted_columns") or []
        for col in show[:12]:
            if col in inputs.columns:
                ref = win.profile["columns"][col]
                figs["distributions"][col] = plots.distribution(col, ref, inputs[col], cols[col])
        scored = sorted((c for c in cols if cols[c].get("score") is not None), key=lambda c: -cols[c]["score"])
        figs["drift_over_time"] = plots.drift_over_time(drift.get("history", []), (show or scored)[:8],
                                                        {"threshold": 0.1})
    if report["results"].get("sla", {}).get("latency_by_time"):
        figs["latency"] = plots.latency(report["results"]["sla"])
    perf = report["results"].get("performance") or {}
    if perf.get("variants") or perf.get("by_time"):
        figs["performance"] = plots.performance(perf)
    env = Environment(loader=PackageLoader("mlbp.monitor", "templates"), autoescape=select_autoescape(["j2"]))
    return env.get_template("monitor.html.j2").render(r=_plain(report), figs=figs)


def _iso(t: float) -> str:
    return pd.Timestamp(t, unit="s", tz="UTC").isoformat(timespec="seconds") if t > 0 else "the beginning"


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    return str(o)


def _finite(o: Any) -> Any:
    """NaN and infinities become null, so the JSON is strict (browsers and jq reject NaN)."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_finite(v) for v in o]
    return o


def _plain(report: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(report, default=_json_default))
