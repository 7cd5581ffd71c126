"""Lineage of a registered version: which run made it, from which data, config and code.

Collected by the register stage from the run manifest so far; a model card and
`mlbp registry diff` read it back from the version's `info["lineage"]`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any


def code_version(folder: str | Path = ".") -> dict[str, Any]:
    """The git commit of the project folder (and whether the tree had uncommitted changes);
    empty when the folder is not a git checkout or git is missing."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return {}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"git_commit": commit, "git_dirty": bool(status), "git_branch": git("rev-parse", "--abbrev-ref", "HEAD")}


def from_run(manifest: dict[str, Any], run_dir: str | Path, bundle_manifest: dict[str, Any]) -> dict[str, Any]:
    """Lineage facts from a run manifest (possibly still running) and the bundle's manifest."""
    artifacts: dict[str, str] = {}
    for rec in (manifest.get("stages") or {}).values():
        artifacts.update(rec.get("outputs") or {})
    config = manifest.get("config") or {}
    root = (config.get("paths") or {}).get("root") or "."
    return {
        "run_id": manifest.get("run_id"),
        "run_manifest": str(Path(run_dir) / "run.json"),
        "run_dir": str(run_dir),
        "user": manifest.get("user"),
        "host": manifest.get("host"),
        "mlbp_version": manifest.get("mlbp_version"),
        "data_fingerprint": {k: artifacts[k] for k in ("raw", "clean", "train", "holdout") if k in artifacts}
        | {"training_rows": (bundle_manifest.get("training_data") or {}).get("rows")},
        "artifacts": artifacts,
        "store": manifest.get("store"),  # artifacts live in <store>/objects/<hash>/
        "config": config,
        "code": code_version(root) if Path(root).exists() else {},
        "libraries": bundle_manifest.get("libraries") or {},
    }


def signature_of(version: dict[str, Any] | None) -> dict[str, Any] | None:
    """The input signature in a registered version's bundle manifest."""
    if not version:
        return None
    path = Path(version["path"]) / "manifest.json"
    if path.exists():
        return json.loads(path.read_text()).get("signature")
    return None


def run_manifest_of(info: dict[str, Any]) -> dict[str, Any] | None:
    """The run.json of the run that registered a version (None when gone or unreadable)."""
    path = (info.get("lineage") or {}).get("run_manifest")
    if path and Path(path).is_file():
        try:
            return json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError):
            return None
    return None
