"""Keyed-hash masking of input columns before a prediction is logged.

A masked value becomes `h:` + the first 16 hex digits of HMAC-SHA256(key, value): stable, so
joins and counts by customer still work, but the raw value (an email) never reaches disk. The
key comes from an environment variable, never from config; without it a per-process random key
is used (still irreversible, but not stable across restarts) and a warning says so.

The governance package decides *which* columns a team must not see; its policy plugs in here as
the `mask_columns` list (or as any callable `dict -> dict` passed as `masker=`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from typing import Any

log = logging.getLogger("mlbp.monitor.masking")


def keyed_hash(value: Any, key: bytes) -> str:
    return "h:" + hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()[:16]


def policy_columns(classifications: dict[str, str] | None, rules: dict[str, str] | None) -> tuple[list[str], list[str]]:
    """(columns to mask, columns to drop) from the governance config: column -> class, class -> rule."""
    mask, deny = [], []
    for col, cls in (classifications or {}).items():
        rule = (rules or {}).get(cls, "allow")
        if rule == "mask":
            mask.append(col)
        elif rule == "deny":
            deny.append(col)
    return mask, deny


class Masker:
    """Callable that hashes the masked columns of an inputs dict and drops the denied ones."""

    def __init__(self, columns: list[str], key_env: str = "MLBP_MASK_KEY", drop: list[str] | None = None) -> None:
        self.columns = set(columns)
        self.drop = set(drop or [])
        self.key_env = key_env
        raw = os.environ.get(key_env)
        if self.columns and not raw:
            log.warning("%s is not set: masking %s with a random per-process key", key_env, sorted(self.columns))
        self.key = raw.encode() if raw else secrets.token_bytes(32)

    def __call__(self, inputs: dict[str, Any]) -> dict[str, Any]:
        for col in self.drop.intersection(inputs):
            del inputs[col]
        if not self.columns:
            return inputs
        for col in self.columns.intersection(inputs):
            if inputs[col] is not None:
                inputs[col] = keyed_hash(inputs[col], self.key)
        return inputs
