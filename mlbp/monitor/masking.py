"""Governance masking of input columns before a prediction is logged.

Uses the same rules and the same mask format as the governance policy, so a masked email in the
prediction log equals the masked email in the lake and the two still join:
- `mask`: `m_` + the first 24 hex digits of HMAC-SHA256(key, str(value));
- `deny`: the column is dropped;
- a classified column whose class has no rule for the team is denied (only `public` defaults to allow).
The key comes from the environment variable `key_env` when set, else from `key_file` (created once
with random bytes, mode 0600) — never from config or code.

Plugging in the governance package's policy: pass its decisions as `mask_columns` / `drop`, or any
callable `dict -> dict` as `PredictionLog(masker=...)` (it must return a new dict, not change
the one it is given: that dict belongs to the request).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path
from typing import Any

log = logging.getLogger("mlbp.monitor.masking")

MASK_PREFIX = "m_"
MASK_HEX = 24


def keyed_hash(value: Any, key: bytes) -> str:
    return MASK_PREFIX + hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()[:MASK_HEX]


def load_key(key_env: str = "MLBP_MASK_KEY", key_file: str | Path | None = None) -> bytes:
    if os.environ.get(key_env):
        return os.environ[key_env].encode()
    if key_file is None:
        log.warning("%s is not set and no key_file given: masking with a random per-process key", key_env)
        return secrets.token_bytes(32)
    path = Path(key_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            return path.read_bytes().strip()
        try:
            os.write(fd, secrets.token_hex(32).encode())
        finally:
            os.close(fd)
    return path.read_bytes().strip()


def policy_columns(classifications: dict[str, str] | None, rules: dict[str, str] | None) -> tuple[list[str], list[str]]:
    """(columns to mask, columns to drop) from governance config: column -> class, class -> rule."""
    mask, deny = [], []
    for col, cls in (classifications or {}).items():
        rule = (rules or {}).get(cls, "allow" if cls == "public" else "deny")
        if rule == "mask":
            mask.append(col)
        elif rule == "deny":
            deny.append(col)
    return mask, deny


class Masker:
    """Callable that hashes the masked columns of an inputs dict and drops the denied ones."""

    def __init__(self, columns: list[str], key_env: str = "MLBP_MASK_KEY", drop: list[str] | None = None,
                 key_file: str | Path | None = None) -> None:
        self.columns = set(columns)
        self.drop = set(drop or [])
        self.key = load_key(key_env, key_file) if self.columns else b""

    def __call__(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """A masked copy (the caller's dict is never changed); the same dict when nothing applies."""
        if not (self.drop.intersection(inputs) or self.columns.intersection(inputs)):
            return inputs
        inputs = dict(inputs)
        for col in self.drop.intersection(inputs):
            del inputs[col]
        for col in self.columns.intersection(inputs):
            if inputs[col] is not None:
                inputs[col] = keyed_hash(inputs[col], self.key)
        return inputs
