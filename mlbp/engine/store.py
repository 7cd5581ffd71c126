"""A content-addressed artifact store with atomic writes.

Layout under the store root:
  objects/<sha256>/...      an artifact folder, named by the hash of its content
  stages/<fingerprint>.json the outputs (slot -> object hash) a finished stage produced
  tmp/                      folders being written; never read as results
  locks/<fingerprint>.lock  so two sweep jobs computing the same stage do it once

A stage record is written last, with os.replace, so a crash leaves at worst an unreferenced
temp folder: a later run never mistakes a half artifact for a good one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def hash_dir(path: Path) -> str:
    """sha256 over every file's relative path and content, in sorted order."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f.relative_to(path).as_posix().encode())
        h.update(b"\0")
        h.update(hash_file(f).encode())
        h.update(b"\n")
    return h.hexdigest()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: running
        return True
    return True


def hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json_atomic(path: Path, payload: Any, sort_keys: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=sort_keys, default=str))
    os.replace(tmp, path)


class ArtifactStore:
    """Stores artifact folders by content hash and stage results by fingerprint."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _dirs(self) -> None:
        for d in ("objects", "stages", "tmp", "locks"):
            (self.root / d).mkdir(parents=True, exist_ok=True)

    def new_temp(self) -> Path:
        """A folder for a stage to write into, named after this process (`<pid>-<id>`), so a
        folder whose writer was killed can be told from one still being written."""
        self._dirs()
        path = self.root / "tmp" / f"{os.getpid()}-{uuid.uuid4().hex}"
        path.mkdir()
        return path

    def stale_temps(self, legacy_age_seconds: float = 86_400) -> list[Path]:
        """Temp folders whose writer is gone (its pid is not running; folders from before pids
        were in the name: older than `legacy_age_seconds`)."""
        import time

        tmp = self.root / "tmp"
        if not tmp.is_dir():
            return []
        stale = []
        for p in sorted(tmp.iterdir()):
            pid, _, rest = p.name.partition("-")
            if rest and pid.isascii() and pid.isdigit():
                if not _running(int(pid)):
                    stale.append(p)
            elif time.time() - p.stat().st_mtime > legacy_age_seconds:
                stale.append(p)
        return stale

    def remove_stale_temps(self) -> list[str]:
        removed = []
        for p in self.stale_temps():
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            removed.append(p.name)
        return removed

    def put_dir(self, temp: Path) -> str:
        """Move a finished temp folder into objects/ under its hash; returns the hash."""
        digest = hash_dir(temp)
        target = self.root / "objects" / digest
        if target.exists():
            shutil.rmtree(temp, ignore_errors=True)
        else:
            try:
                os.rename(temp, target)
            except OSError:  # another process stored the same content first
                shutil.rmtree(temp, ignore_errors=True)
        return digest

    def object_path(self, digest: str) -> Path:
        return self.root / "objects" / digest

    def lookup(self, fingerprint: str) -> dict[str, Any] | None:
        """The stage record for a fingerprint, if every object it names is present."""
        record_path = self.root / "stages" / f"{fingerprint}.json"
        if not record_path.exists():
            return None
        try:
            record = json.loads(record_path.read_text())
        except (OSError, json.JSONDecodeError):
            return None
        if not all(self.object_path(d).is_dir() for d in record.get("outputs", {}).values()):
            return None
        return record

    def record(self, fingerprint: str, record: dict[str, Any]) -> None:
        write_json_atomic(self.root / "stages" / f"{fingerprint}.json", record)

    def is_locked(self, fingerprint: str) -> bool:
        """Whether another process (or open file) holds the lock for fingerprint right now."""
        path = self.root / "locks" / f"{fingerprint}.lock"
        if not path.exists():
            return False
        with open(path, "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False

    @contextlib.contextmanager
    def lock(self, fingerprint: str) -> Iterator[None]:
        """An exclusive inter-process lock per fingerprint (blocking)."""
        self._dirs()
        with open(self.root / "locks" / f"{fingerprint}.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
