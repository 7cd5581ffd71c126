"""A bundle: one verified folder with everything needed to serve or score a model.

    model.joblib     the fitted pipeline
    manifest.json    name, version, signature (dtypes, categories), output schema, metrics,
                     threshold, data fingerprint, library versions, sha256 of every other file
    profile.json     the reference profile of the training data (drift baseline)
    golden.parquet   golden examples: inputs with the outputs they must reproduce
    contract.json    the schema contract the inputs were validated against

Loading verifies every hash *before* anything is unpickled and refuses a bundle that does not
match; a library-version mismatch is only a warning naming the versions.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import logging
import platform
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlbp.engine.errors import MlbpError, Reason

log = logging.getLogger("mlbp.bundle")

MANIFEST = "manifest.json"
LIBRARIES = ("mlbp", "scikit-learn", "lightgbm", "xgboost-cpu", "xgboost", "pandas", "numpy", "joblib")


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = md.version(lib)
        except md.PackageNotFoundError:
            continue
    return out


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Hash every file in the folder (except the manifest) into the manifest and write it."""
    files = {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*"))
             if p.is_file() and p.name != MANIFEST}
    manifest = {**manifest, "files": files, "libraries": library_versions()}  # no clock: same inputs, same hash
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str))
    return manifest


def verify(folder: str | Path) -> dict[str, Any]:
    """Check every listed file's hash and that no unlisted file was added; return the manifest."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.exists():
        raise MlbpError(f"no {MANIFEST} in bundle {folder}", reason=Reason.BUNDLE, key="bundle",
                        expected="a bundle folder made by mlbp", got=str(folder))
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise MlbpError(f"bundle manifest {path} is not valid JSON: {exc}", reason=Reason.BUNDLE) from exc
    problems = []
    listed = manifest.get("files", {})
    for rel, digest in listed.items():
        f = folder / rel
        if not f.is_file():
            problems.append(f"{rel}: missing")
        elif sha256(f) != digest:
            problems.append(f"{rel}: sha256 mismatch")
    for f in folder.rglob("*"):
        rel = f.relative_to(folder).as_posix()
        if f.is_file() and f.name != MANIFEST and rel not in listed:
            problems.append(f"{rel}: not listed in the manifest")
    if problems:
        raise MlbpError(f"bundle {folder} failed verification; refusing to load it: " + "; ".join(problems),
                        reason=Reason.BUNDLE, key="bundle", fix="re-package the model; never edit a bundle")
    current = library_versions()
    for lib, version in manifest.get("libraries", {}).items():
        if lib in current and current[lib] != version:
            warnings.warn(f"bundle {folder} was built with {lib} {version}, this process has {current[lib]}",
                          stacklevel=2)
    return manifest


@dataclass
class LoadedBundle:
    path: Path
    manifest: dict[str, Any]
    model: Any

    @property
    def name(self) -> str:
        return self.manifest.get("name", "model")

    @property
    def signature(self) -> dict[str, Any]:
        return self.manifest["signature"]


def load(folder: str | Path) -> LoadedBundle:
    """Verify, then unpickle. Nothing is unpickled from a bundle that fails verification."""
    import joblib

    manifest = verify(folder)
    model = joblib.load(Path(folder) / "model.joblib")
    return LoadedBundle(Path(folder), manifest, model)
