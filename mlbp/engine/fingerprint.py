"""A stage's fingerprint: what it is, how it is configured, what it reads, and which mlbp ran it.

Any change to one of these is a cache miss; nothing else is.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mlbp import __version__


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def fingerprint(target: str, config: dict[str, Any], input_hashes: dict[str, str], external: Any = None) -> str:
    payload = {
        "target": target,
        "config": config,
        "inputs": dict(sorted(input_hashes.items())),
        "external": external,
        "mlbp": __version__,
    }
    return hashlib.sha256(canonical(payload).encode()).hexdigest()
