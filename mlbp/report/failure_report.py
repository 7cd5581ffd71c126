"""The report of a run that failed: which stage failed, the error and its fix, what did finish,
and where the evidence is (the quarantine, the log, the manifest). Written by `mlbp` itself when a
stage fails, because the report stage, last in the graph, never runs then; a user gets a page
to open and share instead of one console line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlbp.report.render import render

QUARANTINE_FILES = ("data.parquet", "failures.parquet", "validation.json")


def write_failure_report(run_dir: Path, manifest: dict[str, Any], store_root: Path, error: dict[str, Any],
                         title: str = "mlbp run") -> Path:
    """report.html + report.json in `run_dir`; returns the HTML path."""
    run_dir = Path(run_dir)
    stages = []
    failed = None
    for name, rec in (manifest.get("stages") or {}).items():
        status = "cached" if rec.get("cache_hit") else rec.get("status")
        row = {"name": name, "status": status, "seconds": rec.get("seconds"), "facts": rec.get("facts") or {},
               "outputs": {a: str(Path(store_root) / "objects" / h) for a, h in (rec.get("outputs") or {}).items()}}
        if status == "failed":
            failed = {**row, "error": rec.get("error") or error}
        stages.append(row)
    evidence = _evidence(run_dir, stages)
    data = {"title": title, "status": "failed", "run_id": manifest.get("run_id"),
            "project": (manifest.get("config") or {}).get("project"), "mlbp_version": manifest.get("mlbp_version"),
            "user": manifest.get("user"), "failed": failed, "error": error, "stages": stages, "evidence": evidence}
    (run_dir / "report.json").write_text(json.dumps(data, indent=2, default=str))
    path = run_dir / "report.html"
    path.write_text(render("failed.html.j2", **data))
    return path


def _evidence(run_dir: Path, stages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Files worth opening, each with what it holds; only files that exist."""
    out = []
    for s in stages:
        folder = s["outputs"].get("quarantine")
        if folder and s["status"] in ("done", "cached"):
            out += [{"what": f"quarantine ({s['name']}): {f}", "path": str(Path(folder) / f)}
                    for f in QUARANTINE_FILES if (Path(folder) / f).exists()]
    kept = run_dir / "quarantine"  # a validate stage that failed on too many bad rows keeps them here
    out += [{"what": f"quarantined rows of the failed validation: {f}", "path": str(kept / f)}
            for f in QUARANTINE_FILES if (kept / f).exists()]
    out += [{"what": what, "path": str(run_dir / f)} for f, what in
            (("mlbp.log", "the run's log, with the traceback of the failure"), ("run.json", "the run manifest"))
            if (run_dir / f).exists()]
    return out
