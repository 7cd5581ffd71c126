"""The models a server serves: variant name -> a loaded bundle and where it came from, and the
hot swap that follows a registry alias.

A request captures the variant's model object once, so a swap (replacing the reference) never
affects a request in flight; the new version is loaded and proven *beside* the old one first.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from mlbp.deploy.runtime.serving import ServingModel, load_serving

log = logging.getLogger("mlbp.deploy")


@dataclass
class Source:
    """Either a bundle path, or (registry db url, registry root, model name, alias or version)."""

    path: str | None = None
    db: str | None = None
    root: str | None = None
    model: str | None = None
    ref: str | None = None  # alias (champion) or version number

    def describe(self) -> str:
        return self.path or f"{self.model}@{self.ref}"

    def locate(self) -> tuple[str, Any]:
        """(bundle folder, version)."""
        if self.path:
            return self.path, None  # load_serving names it from the folder
        from mlbp.registry.store import registry_of

        row = registry_of({"db": self.db, "root": self.root}).checked(str(self.model), str(self.ref))
        return row["path"], row["version"]

    def version(self) -> Any:
        """The version the alias points at now (a cheap lookup: the pin is checked on a move)."""
        if self.path:
            return None
        from mlbp.registry.store import registry_of

        return registry_of({"db": self.db, "root": self.root}).resolve(str(self.model), str(self.ref))["version"]


@dataclass
class Variant:
    name: str
    source: Source
    model: ServingModel
    swaps: int = 0
    last_error: str | None = None
    checked_at: float = field(default_factory=time.time)


class Variants:
    """Loads every variant, and swaps one when its alias moves (`refresh`)."""

    def __init__(self, sources: dict[str, Source], load_options: dict[str, Any] | None = None) -> None:
        self.load_options = load_options or {}
        self.items: dict[str, Variant] = {}
        self._lock = threading.Lock()
        for name, src in sources.items():
            path, version = src.locate()
            self.items[name] = Variant(name, src, load_serving(path, version=version, **self.load_options))
        first = next(iter(self.items.values()))
        self.model_name = first.model.name

    def __getitem__(self, name: str) -> Variant:
        return self.items[name]

    def versions(self) -> dict[str, Any]:
        return {n: v.model.version for n, v in self.items.items()}

    def signature_of(self, name: str) -> dict[str, Any] | None:
        """The serving signature of variant `name` (None once it is gone)."""
        v = self.items.get(name)
        return v.model.signature if v is not None else None

    def refresh(self) -> list[str]:
        """Check each registry-backed variant's alias; load a moved one beside the old and switch.
        Returns messages about what changed. A bundle that fails to load keeps the old one serving."""
        changed = []
        with self._lock:  # one refresh at a time (the poller and /admin/reload)
            for v in self.items.values():
                if v.source.path:
                    continue
                try:
                    moved = v.source.version() != v.model.version
                    v.checked_at = time.time()
                    if not moved:
                        continue
                    path, version = v.source.locate()
                    fresh = load_serving(path, version=version, **self.load_options)
                except Exception as exc:  # noqa: BLE001 - keep serving the old version, report why
                    v.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("variant %s: could not swap: %s", v.name, v.last_error)
                    continue
                old = v.model.version
                v.model = fresh  # atomic reference swap; requests in flight keep the old object
                v.swaps += 1
                v.last_error = None
                changed.append(f"{v.name}: {old} -> {version}")
                log.warning("variant %s now serves version %s (was %s)", v.name, version, old)
        return changed
