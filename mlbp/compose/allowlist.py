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
    """(key, target) of every `_target_` under node, following interpolations (`stack: ${stack}`
    puts the stack's estimator under the train stage: it is checked there, before the run)."""
    found: list[tuple[str, str]] = []
    if isinstance(node, DictConfig):
        if "_target_" in node:
            found.append((key, str(node._target_)))
        for k in node:
            found += _targets(_child(node, k), f"{key}.{k}" if key else str(k))
    elif isinstance(node, ListConfig):
        for i in range(len(node)):
            found += _targets(_child(node, i), f"{key}[{i}]")
    return found


def _child(node: Any, k: Any) -> Any:
    child = node._get_node(k)
    if child is not None and child._is_interpolation():
        try:
            return node[k]  # the node the interpolation points at
        except Exception:  # noqa: BLE001 - an unresolvable interpolation is reported where it is used
            return child
    return child


def check_targets(node: Any, key: str, allowed: tuple[str, ...], defer: tuple[str, ...] = ()
                  ) -> tuple[list[MlbpError], list[tuple[str, str]]]:
    """(errors, deferred) for every `_target_` under node. Each is resolved by mlbp.engine.targets
    (the allow-list, the module it really comes from, a class, the kind its key holds) and a
    refused one is an error naming its key, before Hydra instantiates anything. Those under a
    `defer` key (specs a stage builds when it runs) are only checked against the allow-list here,
    without importing their library, and returned for the runner to resolve before the first stage."""
    problems, deferred = [], []
    for k, target in _targets(node, key):
        tkey = f"{k}._target_"
        if defer and k.startswith(defer) and targets.on_list(target, allowed):
            deferred.append((tkey, target))
            continue
        try:
            targets.resolve(target, tkey, allowed)
        except MlbpError as exc:
            problems.append(exc)
    return problems, deferred


def allowed_prefixes(cfg: DictConfig) -> tuple[str, ...]:
    extra = OmegaConf.select(cfg, "allow_targets", default=[]) or []
    targets.allow([str(p) for p in extra])
    return targets.allowed()


def safe_instantiate(node: Any, key: str, allowed: tuple[str, ...], **kwargs: Any) -> Any:
    problems, _ = check_targets(node, key, allowed)
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
