"""A registered version's bundle is pinned: the hash of all its files, taken at registration and
kept in the registry's database (and in the audit record of the registration), is compared with
the folder before anything in it is unpickled.

The bundle's own manifest lists a sha256 per file, but whoever can rewrite `model.joblib` can
rewrite the manifest beside it; the pin lives where the registry's writers and its hash-chained
audit trail are, so a swapped folder is refused by serve, score, monitor and evaluate's champion
comparison, and reported by `mlbp registry verify`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.store import hash_dir
from mlbp.registry.bundle import verify


def pin_of(folder: str | Path) -> str:
    """sha256 over every file's relative path and content (the store's folder hash)."""
    return hash_dir(Path(folder))


def pinned(row: dict[str, Any]) -> str:
    """The pin of a version row. Versions registered before pins were kept were registered by the
    pipeline under their artifact hash, which is the same folder hash."""
    return str((row.get("info") or {}).get("pin") or row["bundle_sha"])


def check_pinned(row: dict[str, Any]) -> Path:
    """The version's bundle folder, if its files are exactly those registered; else a clear error
    (nothing is loaded)."""
    path = Path(row["path"])
    where = f"{row['model']} v{row['version']}"
    if not (path / "manifest.json").is_file():
        raise MlbpError(f"{where}: its bundle folder {path} is missing or incomplete", reason=Reason.BUNDLE,
                        key="registry.root", fix="restore the folder from a backup (mlbp registry verify lists all)")
    got, want = pin_of(path), pinned(row)
    if got != want:
        detail = ""
        try:  # name the file when the manifest tells it (a tamperer who fixed the manifest too does not)
            verify(path)
        except MlbpError as exc:
            detail = f" ({exc.message})"
        raise MlbpError(f"{where}: the bundle in {path} changed after registration{detail}; nothing was loaded",
                        reason=Reason.BUNDLE, key="registry.root", expected=f"files hash {want[:16]}…",
                        got=f"{got[:16]}…", fix="restore the folder from a backup, or package the changed model "
                        "and register it as a new version")
    return path
