"""Find what runs, sweeps and monitors left in the outputs folder, for the dashboard.

Other parts of mlbp write these files; the dashboard only reads them, tolerating any shape:
  run.json + report.html            every run (mlbp)
  leaderboard.json|csv|html         every sweep (mlbp -m stack=...)
  monitor_report.json|html          every monitoring run
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

LIMIT = 200  # newest files shown per kind


def _newest(root: Path, name: str) -> list[Path]:
    if not root.exists():
        return []
    found = [p for p in root.rglob(name) if p.is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)[:LIMIT]


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _when(path: Path) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(path.stat().st_mtime))


def rows_of(data: Any) -> list[dict[str, Any]]:
    """The table inside a JSON document: a list of objects, or the first such list under a key
    like rows / leaderboard / candidates / alerts."""
    if isinstance(data, list):
        return [r if isinstance(r, dict) else {"value": r} for r in data]
    if isinstance(data, dict):
        for key in ("rows", "leaderboard", "candidates", "entries", "results", "jobs"):
            if isinstance(data.get(key), list):
                return rows_of(data[key])
    return []


def flat_row(row: dict[str, Any], depth: int = 1) -> dict[str, Any]:
    """One level of nesting flattened (`metrics.roc_auc`) so a table has one value per cell."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, dict) and depth > 0:
            out |= {f"{k}.{kk}": vv for kk, vv in flat_row(v, depth - 1).items()}
        else:
            out[k] = v
    return out


def runs(root: Path) -> list[dict[str, Any]]:
    out = []
    for p in _newest(root, "run.json"):
        m = _read(p) or {}
        stages = m.get("stages") or {}
        out.append({"path": p.relative_to(root).as_posix(), "dir": p.parent.relative_to(root).as_posix(),
                    "run_id": m.get("run_id"), "status": m.get("status"), "user": m.get("user"),
                    "when": _when(p), "project": (m.get("config") or {}).get("project"),
                    "stages": len(stages), "cached": sum(1 for s in stages.values() if s.get("cache_hit")),
                    "report": (p.parent / "report.html").relative_to(root).as_posix()
                    if (p.parent / "report.html").exists() else None})
    return out


def leaderboards(root: Path) -> list[dict[str, Any]]:
    out = []
    for p in _newest(root, "leaderboard.json"):
        rows = [flat_row(r) for r in rows_of(_read(p))]
        html = p.with_suffix(".html")
        out.append({"path": p.relative_to(root).as_posix(), "dir": p.parent.relative_to(root).as_posix(),
                    "when": _when(p), "rows": rows, "columns": _columns(rows),
                    "html": html.relative_to(root).as_posix() if html.exists() else None})
    return out


def monitor_reports(root: Path) -> list[dict[str, Any]]:
    out = []
    for p in _newest(root, "monitor_report.json"):
        data = _read(p) or {}
        alerts = data.get("alerts") if isinstance(data, dict) else None
        alerts = [a if isinstance(a, dict) else {"message": a} for a in (alerts or [])]
        summary = {k: v for k, v in data.items() if not isinstance(v, dict | list)} if isinstance(data, dict) else {}
        html = p.with_suffix(".html")
        out.append({"path": p.relative_to(root).as_posix(), "dir": p.parent.relative_to(root).as_posix(),
                    "when": _when(p), "alerts": alerts, "summary": summary,
                    "critical": sum(1 for a in alerts if str(a.get("severity", "")).lower() == "critical"),
                    "html": html.relative_to(root).as_posix() if html.exists() else None})
    return out


# the leaderboard columns a reader scans first (the sweep writes many more; see leaderboard.html)
PREFERRED = ("rank", "stack", "blessed", "champion", "primary_metric", "primary", "total", "cv_mean",
             "profit_at_threshold", "uplift_vs_all", "ece", "latency_p50_ms", "model_size_mb", "worst_slice_name",
             "job")


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    """The preferred columns present, else the first 14 columns holding single values."""
    present = {c for r in rows for c in r}
    preferred = [c for c in PREFERRED if c in present]
    if len(preferred) >= 3:
        return preferred
    cols: list[str] = []
    for r in rows:
        cols += [c for c, v in r.items() if c not in cols and not isinstance(v, list | dict)]
    return cols[:14]


def safe_file(root: Path, rel: str) -> Path | None:
    """A file under root with a viewable suffix, or None (no path escapes the outputs folder)."""
    if "\0" in rel or len(rel) > 1024:  # not a path any file has (os.stat would raise)
        return None
    try:
        path = (root / rel).resolve()
        if not path.is_relative_to(root.resolve()) or not path.is_file():
            return None
    except (OSError, ValueError):
        return None
    return path if path.suffix in (".html", ".json", ".csv", ".png", ".md", ".txt") else None
