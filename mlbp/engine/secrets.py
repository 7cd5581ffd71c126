"""Secrets never reach a file: the one redaction pass for manifests, logs and reports.

A secret is the value of a config key named like one (`*key*`, `*password*`, `*token*`,
`*secret*`, `*credential*`: `api_keys[0].key`, `registry.ui.admin_key`, ...) and the password of
any URL (`postgresql://user:pw@host/db`). Names that hold where a secret lives, not the secret
(`key_env`, `mask_key_file`), or a column (`partition_key`, join `keys`), are not secrets.

Inside a secret-named list every item is secret; inside a mapping each key's own name decides
(`api_keys: [{key: ..., scopes: [...]}]` keeps its scopes readable).

`secret_values(config)` collects the values once; `redact(obj, values)` returns a copy of a
config-like structure with every secret-named value and every occurrence of a known value
replaced, and `redact_text` does the same to text (a log line, a YAML file Hydra wrote).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REDACTED = "***"
_SECRET_NAME = re.compile(r"(key|password|passwd|pwd|token|secret|credential)", re.IGNORECASE)
_NOT_SECRET = re.compile(r"(_env|_file|_path|_column|_columns|_name)$|^(keys|partition_key|primary_key|key_column)$",
                         re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:)(?P<pw>[^@\s/]+)(?P<at>@)")
MIN_SECRET_CHARS = 6  # shorter values ("", "1", "true") are not searched for in text


def is_secret_name(name: Any) -> bool:
    """Does a config key of this name hold a secret?"""
    return isinstance(name, str) and bool(_SECRET_NAME.search(name)) and not _NOT_SECRET.search(name)


def secret_values(config: Any) -> set[str]:
    """Every secret value in a config-like structure (see the module docstring)."""
    found: set[str] = set()

    def walk(node: Any, secret: bool) -> None:
        if isinstance(node, dict):
            for k, v in node.items():  # inside a mapping, each key's own name decides
                walk(v, is_secret_name(k))
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v, secret)
        elif isinstance(node, str):
            if secret and len(node) >= MIN_SECRET_CHARS:
                found.add(node)
            found.update(m.group("pw") for m in _URL_PASSWORD.finditer(node) if len(m.group("pw")) >= 3)
        elif secret and isinstance(node, int | float) and len(str(node)) >= MIN_SECRET_CHARS:
            found.add(str(node))

    walk(config, False)
    return found


def redact_text(text: str, values: Iterable[str] = ()) -> str:
    """`text` with every known secret value and every URL password replaced."""
    for v in sorted(set(values), key=len, reverse=True):  # longest first: a value inside another
        if v:
            text = text.replace(v, REDACTED)
    return _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED + m.group("at"), text)


def redact(obj: Any, values: Iterable[str] = (), by_name: bool = True) -> Any:
    """A copy of `obj` (dicts, lists, scalars) with known values redacted and, for config trees
    (`by_name`), every secret-named value too. Other records (an error's `key` is a config key,
    not a secret) pass by_name=False."""
    known = tuple(values)

    def walk(node: Any, secret: bool) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, by_name and is_secret_name(k)) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return [walk(v, secret) for v in node]
        if secret and node not in (None, "") and not isinstance(node, bool):
            return REDACTED
        if isinstance(node, str):
            return redact_text(node, known)
        return node

    return walk(obj, False)
