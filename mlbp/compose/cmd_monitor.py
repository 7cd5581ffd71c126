"""`mlbp monitor` and `mlbp feedback import <file>`: the post-deployment loop from the command line.

    mlbp monitor                                  every logged prediction of the champion so far
    mlbp monitor monitor.window.last_hours=24     the last day
    mlbp monitor monitor.version=3 monitor.window.start=2026-11-01 monitor.window.end=2026-11-08
    mlbp feedback import labels.csv               request_id + label and/or reward (CSV or Parquet)

`mlbp monitor` writes monitor_report.html and monitor_report.json into the Hydra run folder and
exits 2 when a critical alert rule fires, so cron or CI can act on it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from mlbp.compose.allowlist import allowed_prefixes, safe_instantiate
from mlbp.compose.say import say
from mlbp.engine.errors import MlbpError, Reason

log = logging.getLogger("mlbp")

MONITORS = ("drift", "quality", "performance", "sla")


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if node is not None else None


def _registry(cfg: DictConfig):  # noqa: ANN202 - mlbp.registry.store.Registry
    from mlbp.compose.cmd_registry import registry_from

    return registry_from(cfg)


def _bundle(cfg: DictConfig) -> tuple[Path, Any, str | None]:
    m = cfg.monitor
    if m.get("bundle"):
        return Path(m.bundle), m.get("version"), None
    ref = m.version if m.get("version") is not None else m.alias
    row = _registry(cfg).checked(str(m.model), ref)
    return Path(row["path"]), row["version"], None if m.get("version") is not None else str(m.alias)


def build_traffic(cfg: DictConfig) -> Any:
    node = OmegaConf.select(cfg, "monitor.traffic")
    if node is None:
        return None
    return safe_instantiate(node, "monitor.traffic", allowed_prefixes(cfg))


def monitor(cfg: DictConfig, args: list[str]) -> int:
    from rich.console import Console

    from mlbp.monitor.run import REPORT_HTML, exit_code, monitor_window

    console = Console(stderr=True, soft_wrap=True)
    m = cfg.monitor
    allowed = allowed_prefixes(cfg)
    bundle, version, alias = _bundle(cfg)
    monitors = {}
    for name in MONITORS:
        node = m.get(name)
        if node is not None and "_target_" in node:
            monitors[name] = safe_instantiate(node, f"monitor.{name}", allowed)
    traffic = build_traffic(cfg)
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    report = monitor_window(
        bundle=bundle, version=version, model=str(m.model), alias=alias,
        log_root=str(m.prediction_log.root), state_dir=str(m.state), out_dir=out_dir, monitors=monitors,
        window=_plain(m.window), alerts=_plain(m.get("alerts")), registry_factory=lambda: _registry(cfg),
        traffic=traffic, cwd=str(cfg.paths.root))
    w = report["window"]
    say("[bold]mlbp monitor[/] {} v{}: {} predictions {} → {}", report["model"], report["version"],
        w["served_rows"], w["start_iso"], w["end_iso"], out=console)
    for name, res in report["results"].items():
        say("  {:12} {}", name, _summary(name, res), out=console)
    colour = {"critical": "red", "warning": "yellow", "info": "cyan"}
    for a in report["alerts"]:
        dup = " (duplicate, not re-sent)" if a["suppressed"] else ""
        say("  [" + colour.get(a["severity"], "white") + "]{}[/] {}{}", a["severity"], a["message"], dup, out=console)
    for a in report["actions"]:
        say("  [bold]action[/] {}", a, out=console)
    say("[bold green]report[/]: {}", out_dir / REPORT_HTML, out=console)
    return exit_code(report)


def _summary(name: str, res: dict[str, Any]) -> str:
    if "skipped" in res:
        return f"skipped: {res['skipped']}"
    if name == "drift":
        return (f"{len(res['drifted_columns'])} drifting {res['drifted_columns'][:6]}, "
                f"persistent {res['persistent_columns'][:6]}, prediction drift {res['prediction_drift']}")
    if name == "quality":
        return "ok" if res["passed"] else f"failing {res['failed_columns']}"
    if name == "performance":
        return res["status"] + (f" {res.get('current', {})}" if res["status"] == "measured" else "")
    if name == "sla":
        return (f"p50 {res.get('p50_ms', float('nan')):.1f} ms, p95 {res.get('p95_ms', float('nan')):.1f} ms, "
                f"p99 {res.get('p99_ms', float('nan')):.1f} ms, errors {res['error_rate']:.2%}, "
                f"breached {res['breached']}")
    return ""


def feedback_import(cfg: DictConfig, args: list[str]) -> int:
    """Append a file of labels/rewards to the feedback log; rows that cannot be used are kept with a reason."""
    import pandas as pd

    from mlbp.data.sources import read_delimited
    from mlbp.monitor.window import read_window

    path = Path(args[0])
    if not path.exists():
        raise MlbpError(f"feedback file {path} does not exist", reason=Reason.INPUT, key="file", got=str(path))
    unparsed = pd.DataFrame()
    if path.suffix.lower() in (".parquet", ".pq"):
        df = pd.read_parquet(path)
    else:  # the layer ingest and score use: a line that cannot be split is kept, with its line number
        df, lines, _ = read_delimited(path, "feedback file", keys={"path": "file"})
        unparsed = lines.assign(reason="unparseable: " + lines["reason"])
    if "request_id" not in df.columns or not ({"label", "reward"} & set(df.columns)):
        raise MlbpError(f"feedback file {path} lacks the needed columns", reason=Reason.INPUT, key=str(path),
                        expected="request_id and label and/or reward", got=list(df.columns))
    for col in ("label", "reward"):
        if col not in df.columns:
            df[col] = None
    reason = pd.Series("", index=df.index, dtype=object)
    reason[df["request_id"].isna()] = "missing request_id"
    reason[(reason == "") & df["label"].isna() & df["reward"].isna()] = "neither label nor reward"
    if "time" not in df.columns:
        df["time"] = time.time()
    good, bad = df[reason == ""], df[reason != ""].assign(reason=reason[reason != ""])
    if len(unparsed):
        bad = pd.concat([bad, unparsed], ignore_index=True)
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if len(bad):
        bad.to_parquet(out_dir / "feedback_rejected.parquet", index=False)
    node = OmegaConf.to_container(cfg.monitor.prediction_log, resolve=True)
    sink = safe_instantiate(OmegaConf.create(node), "monitor.prediction_log", allowed_prefixes(cfg))
    records = [{k: (None if pd.isna(v) else v) for k, v in r.items()}
               for r in good[["request_id", "time", "label", "reward"]].to_dict("records")]
    try:
        sink.write_feedback(records)
    finally:
        sink.close()
    preds = read_window(node["root"], str(cfg.monitor.model), 0.0, time.time() + 86400)
    matched = preds[preds["request_id"].astype(str).isin(good["request_id"].astype(str))] if len(preds) else preds
    rewarded = 0
    traffic = build_traffic(cfg)
    if traffic is not None and len(matched) and "variant" in matched.columns:
        rewards = good.dropna(subset=["reward"]).astype({"request_id": str}).set_index("request_id")["reward"]
        for rid, variant in zip(matched["request_id"].astype(str), matched["variant"], strict=True):
            if rid in rewards.index and variant in getattr(traffic, "counts", {}):
                traffic.reward(str(variant), float(rewards.loc[rid]))
                rewarded += 1
        traffic.close()
    print(f"feedback: {len(df) + len(unparsed)} rows in = {len(good)} written + {len(bad)} rejected"
          + (f" (kept in {out_dir / 'feedback_rejected.parquet'})" if len(bad) else "")
          + f"; {matched['request_id'].nunique() if len(matched) else 0} match a logged prediction"
          + (f"; {rewarded} rewards sent to the traffic policy" if traffic is not None else ""))
    return 0
