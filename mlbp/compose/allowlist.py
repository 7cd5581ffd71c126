"""Instantiate `_target_` nodes only from an allow-list of importable prefixes.

Hydra warns that a config-controlled `_target_` can execute arbitrary code; a project extends
the list in config (`allow_targets`) rather than the check being skipped.
"""

from __future__ import annotations

import logging
from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig, OmegaConf

from mlbp.engine import targets
from mlbp.engine.errors import MlbpError, Reason

log = logging.getLogger("mlbp.compose")


def _targets(node: Any, key: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, DictConfig):
        if "_target_" in node:
            found.append((key, str(node._target_)))
        for k in node:
            found += _targets(node._get_node(k), f"{key}.{k}" if key else str(k))
    elif isinstance(node, ListConfig):
        for i, _item in enumerate(node):
            found += _targets(node._get_node(i), f"{key}[{i}]")
    return found


def check_targets(node: Any, key: str, allowed: tuple[str, ...]) -> list[MlbpError]:
    """Every `_target_` under node that is outside the allow-list, as errors naming the key."""
    problems = []
    for k, target in _targets(node, key):
        if not target.startswith(allowed):
            problems.append(
                MlbpError(
                    f"_target_ '{target}' is not in the allow-list",
                    reason=Reason.NOT_ALLOWED,
                    key=f"{k}._target_",
                    expected=f"a name starting with one of {list(allowed)}",
                    got=target,
                    fix="add its prefix to `allow_targets` in your config if you trust it",
                )
            )
    return problems


def allowed_prefixes(cfg: DictConfig) -> tuple[str, ...]:
    extra = OmegaConf.select(cfg, "allow_targets", default=[]) or []
    targets.allow([str(p) for p in extra])
    return targets.allowed()


def safe_instantiate(node: Any, key: str, allowed: tuple[str, ...], **kwargs: Any) -> Any:
    problems = check_targets(node, key, allowed)
    if problems:
        raise problems[0]
    try:
        obj = instantiate(node, **kwargs)
    except Exception as exc:  # hydra wraps import/type errors; name the key instead
        raise MlbpError(
            f"could not build '{node.get('_target_', '?')}': {_root_cause(exc)}",
            reason=Reason.CONFIG,
            key=key,
            fix="check the _target_ name and its parameters",
        ) from exc
    log.info("instantiated %s -> %s", key, type(obj).__name__)
    return obj


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc)
