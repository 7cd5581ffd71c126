"""A model card per registered version, generated from its lineage, as Markdown and HTML.

Everything comes from what the registry already holds: the version row (scorecard, metrics,
lineage with the resolved config), the bundle manifest (signature, training data, libraries),
the registering run's manifest and its artifacts in the store (assessment, scorecard), the
approvals, alias history and audit trail. A section whose data is missing says so instead of
failing: scorecards and assessments grow over time.

Intended use, limitations and owners come from config (`registry.card`), as resolved when the
version was trained, falling back to the current config.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader

from mlbp.registry.store import Registry
from mlbp.report.render import env as html_env
from mlbp.report.render import render


def _read(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError, TypeError):
        return {}


def _artifact(lineage: dict[str, Any], slot: str, filename: str) -> dict[str, Any]:
    digest, store = (lineage.get("artifacts") or {}).get(slot), lineage.get("store")
    if not digest or not store:
        return {}
    return _read(Path(store) / "objects" / digest / filename)


def _class_rows(report: Any) -> list[dict[str, Any]] | None:
    """Each class's recall, precision, F1 and holdout rows (the scorecard's per_class)."""
    if not isinstance(report, dict) or not isinstance(report.get("per_class"), dict):
        return None
    return [{"class": name, **vals} for name, vals in report["per_class"].items()]


def slice_rows(slices: Any) -> list[dict[str, Any]] | None:
    """Slice metrics in whichever shape the scorecard holds them, as rows with a `slice` column:
    a list of rows; {slice: {metric: value}}; or {column: [{value: ..., metric: ...}, ...]}."""
    if not slices:
        return None
    if isinstance(slices, dict) and isinstance(slices.get("slices"), list):  # mlbp.stacks.slices output
        ranked: list[dict[str, Any]] = []
        for r in slices["slices"]:
            if isinstance(r, dict):
                label = f"{r.get('column')}={r.get('value')}" if "column" in r else r.get("slice", "")
                ranked.append({"slice": label, **{k: v for k, v in r.items() if k not in ("column", "value", "slice")
                                                and not isinstance(v, dict | list)}})
        return ranked or None
    if isinstance(slices, list):
        return [r if isinstance(r, dict) else {"slice": r} for r in slices]
    rows: list[dict[str, Any]] = []
    if isinstance(slices, dict):
        for name, body in slices.items():
            if isinstance(body, dict):
                rows.append({"slice": name, **{k: v for k, v in body.items() if not isinstance(v, dict | list)}})
            elif isinstance(body, list):
                for r in body:
                    if isinstance(r, dict):
                        label = r.get("value", r.get("slice", r.get("name", "")))
                        rows.append({"slice": f"{name}={label}",
                                     **{k: v for k, v in r.items() if k not in ("value", "slice", "name")
                                        and not isinstance(v, dict | list)}})
            else:
                rows.append({"slice": name, "value": body})
    return rows or None


def _scalars(d: Any) -> dict[str, Any] | None:
    """The single-value entries of a section (ECE, bins, Brier ...); lists are shown separately."""
    if not isinstance(d, dict):
        return None
    out = {k: v for k, v in d.items() if not isinstance(v, list | dict)}
    out |= {f"{k}.{kk}": vv for k, v in d.items() if isinstance(v, dict)
            for kk, vv in v.items() if not isinstance(vv, list | dict)}
    return out or None


def _curve(d: Any) -> list[dict[str, Any]] | None:
    """A reliability curve (list of bins) inside the calibration section, if there is one."""
    if isinstance(d, dict):
        for v in d.values():
            if isinstance(v, list) and v and isinstance(v[0], dict):
                return v
    return None


def card_data(reg: Registry, name: str, ref: str | int, card_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every section of the card as plain data (None or empty where the lineage has nothing)."""
    v = reg.resolve(name, ref)
    info = v["info"] or {}
    lineage = info.get("lineage") or {}
    manifest = _read(Path(v["path"]) / "manifest.json")
    config = lineage.get("config") or {}
    card_cfg = {**(card_config or {}), **((config.get("registry") or {}).get("card") or {})}
    scorecard = _artifact(lineage, "scorecard", "scorecard.json") or info.get("scorecard") or {}
    assessment = _artifact(lineage, "assessment", "assessment.json")
    held = [a for a, n in reg.aliases(name).items() if n == v["version"]]
    events = reg.audit.records(subject=f"{name}/v{v['version']}")
    moves = [h for h in reg.history(name) if v["version"] in (h["version"], h["previous"])]
    limitations = list(card_cfg.get("limitations") or [])
    limitations += [f"blessing rule failed: {r}" for r in scorecard.get("failed_rules") or []]
    for c in assessment.get("checks", []):
        if c.get("ok") is False or c.get("status") in ("warn", "fail"):
            limitations.append(f"data assessment {c.get('level') or c.get('status')}: {c.get('check') or c.get('name')}"
                               f" = {c.get('value')} (rule {c.get('rule')})")
    sig = manifest.get("signature") or {}
    return {
        "model": name, "version": v["version"], "status": v["status"], "aliases": held,
        "stack": info.get("stack") or manifest.get("stack"), "author": v["author"],
        "created": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(v["created"])), "tags": reg.tags(name, v["version"]),
        "intended_use": card_cfg.get("intended_use"),
        "task": config.get("task") or sig.get("task"), "target": config.get("target") or manifest.get("target"),
        "owners": list(card_cfg.get("owners") or []) or ([config["team"]] if config.get("team") else []),
        "data": {"source": (config.get("data") or {}).get("source"),
                 "training_rows": (manifest.get("training_data") or {}).get("rows"),
                 "fingerprint": lineage.get("data_fingerprint"),
                 "features": {"numeric": sig.get("numeric") or [], "categorical": sig.get("categorical") or []}},
        "assessment": {"verdict": assessment.get("verdict"), "checks": assessment.get("checks") or [],
                       "reasons": assessment.get("reasons") or []} if assessment else None,
        "metrics": info.get("metrics") or manifest.get("metrics") or {},
        "primary": {"metric": scorecard.get("primary_metric"), "value": scorecard.get("primary")},
        "blessed": scorecard.get("blessed"), "threshold": info.get("threshold") or manifest.get("threshold"),
        "slices": slice_rows(scorecard.get("slices")),
        "classes": _class_rows(scorecard.get("per_class")),
        "labels": scorecard.get("labels") or (info.get("labels") if isinstance(info.get("labels"), dict) else None),
        "business": scorecard.get("business"),
        "calibration": _scalars(scorecard.get("calibration")) or (
            {"brier": (info.get("metrics") or {})["brier"], "note": "Brier score only; no reliability curve recorded"}
            if "brier" in (info.get("metrics") or {}) else None),
        "calibration_curve": _curve(scorecard.get("calibration")),
        "limitations": limitations,
        "approvals": reg.approvals(name, v["version"]),
        "history": moves,
        "events": events,
        "lineage": {"run_id": lineage.get("run_id"), "run_manifest": lineage.get("run_manifest"),
                    "code": lineage.get("code") or {}, "mlbp_version": lineage.get("mlbp_version"),
                    "libraries": manifest.get("libraries") or lineage.get("libraries") or {},
                    "bundle_sha": v["bundle_sha"], "path": v["path"]},
    }


def render_markdown(data: dict[str, Any]) -> str:
    """Markdown is not HTML: rendered without autoescaping, with the same number filter."""
    md = Environment(loader=PackageLoader("mlbp.report", "templates"), autoescape=False, trim_blocks=True,
                     lstrip_blocks=True)
    md.filters["num"] = html_env().filters["num"]
    return md.get_template("model_card.md.j2").render(card=data, when=_when)


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def write_card(reg: Registry, name: str, ref: str | int, out_dir: str | Path,
               card_config: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write `model_card.md`, `model_card.html` and `model_card.json` for one version."""
    data = card_data(reg, name, ref, card_config)
    out = Path(out_dir) / name / f"v{data['version']}"
    out.mkdir(parents=True, exist_ok=True)
    paths = {"md": out / "model_card.md", "html": out / "model_card.html", "json": out / "model_card.json"}
    paths["md"].write_text(render_markdown(data))
    paths["html"].write_text(render("model_card.html.j2", card=data, when=_when))
    paths["json"].write_text(json.dumps(data, indent=2, default=str))
    return paths


def render_card_html(reg: Registry, name: str, ref: str | int, card_config: dict[str, Any] | None = None) -> str:
    return render("model_card.html.j2", card=card_data(reg, name, ref, card_config), when=_when)
