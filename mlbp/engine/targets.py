"""Turn `_target_` specs into objects at run time, for parameters a stage builds lazily.

Stages keep heavy specs (an estimator, a preprocessing pipeline) as plain data so building the
graph imports no ML library and a cached run stays fast; they build them here when they run.
Only names under an allow-list of prefixes may be imported (config-controlled `_target_` can
execute arbitrary code); `mlbp.compose` extends the list from the `allow_targets` config key.
"""

from __future__ import annotations

import importlib
from typing import Any

from mlbp.engine.errors import MlbpError, Reason

DEFAULT_ALLOWED: tuple[str, ...] = ("mlbp.", "sklearn.", "xgboost.", "lightgbm.")
_extra: list[str] = []


def allow(prefixes: list[str]) -> None:
    """Extend the allow-list for this process (called by compose from `allow_targets`)."""
    for p in prefixes:
        p = p if p.endswith(".") else f"{p}."
        if p not in _extra:
            _extra.append(p)


def allowed() -> tuple[str, ...]:
    return DEFAULT_ALLOWED + tuple(_extra)


def locate(target: str, key: str = "_target_") -> Any:
    if not target.startswith(allowed()):
        raise MlbpError(f"_target_ '{target}' is not in the allow-list", reason=Reason.NOT_ALLOWED, key=key,
                        expected=f"a name starting with one of {list(allowed())}", got=target,
                        fix="add its prefix to `allow_targets` in your config if you trust it")
    module, _, name = target.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise MlbpError(f"cannot import '{target}': {exc}", reason=Reason.CONFIG, key=key,
                        fix="check the class path and that its library is installed") from exc
    return obj


def build(spec: Any, key: str = "") -> Any:
    """Recursively build `{_target_: ..., **params}` dicts (lists and plain values pass through)."""
    if isinstance(spec, dict):
        params = {k: build(v, f"{key}.{k}" if key else k) for k, v in spec.items() if k != "_target_"}
        if "_target_" not in spec:
            return params
        cls = locate(str(spec["_target_"]), f"{key}._target_" if key else "_target_")
        try:
            return cls(**params)
        except TypeError as exc:
            raise MlbpError(f"cannot build {spec['_target_']}: {exc}", reason=Reason.CONFIG, key=key,
                            fix="check the parameter names") from exc
    if isinstance(spec, list):
        return [build(v, f"{key}[{i}]") for i, v in enumerate(spec)]
    return spec
