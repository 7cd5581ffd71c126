"""The run manifest (`run.json`): what ran, with which config, inputs and outputs by hash.

It is the lineage the catalog, registry and model cards read later.
"""

from __future__ import annotations

import getpass
import platform
import socket
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlbp import __version__
from mlbp.engine.secrets import redact, secret_values
from mlbp.engine.store import write_json_atomic


@dataclass
class StageRecord:
    name: str
    target: str
    check: str | None = None  # the stage's declared hand-off check kind (Stage.check), e.g. "smoke"
    fingerprint: str = ""
    status: str = "pending"  # pending | running | done | cached | failed | skipped
    cache_hit: bool = False
    started: float | None = None
    ended: float | None = None
    seconds: float | None = None
    inputs: dict[str, str] = field(default_factory=dict)  # artifact name -> hash
    outputs: dict[str, str] = field(default_factory=dict)  # artifact name -> hash
    config: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None


@dataclass
class RunManifest:
    run_id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6])
    started: float = field(default_factory=time.time)
    ended: float | None = None
    status: str = "running"
    mlbp_version: str = __version__
    user: str = field(default_factory=lambda: _user())
    host: str = field(default_factory=socket.gethostname)
    python: str = field(default_factory=platform.python_version)
    store: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, StageRecord] = field(default_factory=dict)

    def artifacts(self) -> dict[str, str]:
        """Every artifact name produced or reused by this run -> its hash."""
        out: dict[str, str] = {}
        for rec in self.stages.values():
            out.update(rec.outputs)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The manifest as written and as stages see it: secrets redacted (mlbp.engine.secrets),
        so neither run.json nor what a stage copies from it (lineage in the registry) holds one."""
        values = secret_values(self.config)
        d = redact(asdict(self), values, by_name=False)
        d["config"] = redact(self.config, values)
        for name, rec in self.stages.items():
            d["stages"][name]["config"] = redact(rec.config, values)
        d["artifacts"] = self.artifacts()
        return d

    def write(self, path: Path) -> None:
        write_json_atomic(path, self.to_dict(), sort_keys=False)  # stages in run order


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"
