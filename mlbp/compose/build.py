"""Config -> stages -> a validated Graph. Every problem is collected and raised at once."""

from __future__ import annotations

import difflib
import inspect
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from mlbp.compose.allowlist import allowed_prefixes, check_targets, safe_instantiate
from mlbp.engine import targets
from mlbp.engine.errors import GraphError, MlbpError, Reason
from mlbp.engine.graph import Graph, Node

RESERVED = {"_target_", "_recursive_", "_convert_", "_partial_", "_args_", "needs", "makes"}


def _binding(
    value: Any, declared: tuple[str, ...], key: str, problems: list[MlbpError]
) -> dict[str, str]:
    """YAML `needs`/`makes`: omitted (class slots), a list of slot names, or {slot: artifact}."""
    if value is None:
        return {s: s for s in declared}
    if isinstance(value, ListConfig | list):
        bound = {str(s): str(s) for s in value}
    elif isinstance(value, DictConfig | dict):
        bound = {str(k): str(v) for k, v in value.items()}
    else:
        problems.append(
            MlbpError("must be a list of names or a mapping slot -> artifact", key=key,
                      expected="list or mapping", got=type(value).__name__)
        )
        return {}
    if declared:
        for slot in bound:
            if slot not in declared:
                near = difflib.get_close_matches(slot, declared, n=1)
                problems.append(
                    MlbpError(
                        f"unknown slot '{slot}'" + (f"; did you mean '{near[0]}'?" if near else ""),
                        reason=Reason.UNKNOWN_KEY, key=key, expected=list(declared), got=slot,
                    )
                )
        for slot in declared:
            if slot not in bound:
                problems.append(
                    MlbpError(f"slot '{slot}' is not bound", reason=Reason.MISSING_INPUT, key=key,
                              fix=f"add '{slot}' to {key} or omit the key to use the defaults")
                )
    return bound


def _check_params(cls: type, node: DictConfig, key: str, problems: list[MlbpError]) -> None:
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return
    params = [p for p in sig.parameters if p != "self"]
    if any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
        return
    for k in node:
        if k in RESERVED:
            continue
        if k not in params:
            near = difflib.get_close_matches(str(k), params, n=1)
            problems.append(
                MlbpError(
                    f"unknown parameter '{k}' for {cls.__name__}"
                    + (f"; did you mean '{near[0]}'?" if near else ""),
                    reason=Reason.UNKNOWN_KEY, key=f"{key}.{k}", expected=params, got=str(k),
                )
            )


# top-level keys the packaged config leaves to each project (`???` in conf/config.yaml)
PROJECT_KEYS = ("project", "target", "task")


def build_graph(cfg: DictConfig) -> Graph:
    """Instantiate every stage in `pipeline.stages` and validate the graph before anything runs."""
    stages = OmegaConf.select(cfg, "pipeline.stages")
    if not isinstance(stages, DictConfig) or len(stages) == 0:
        raise MlbpError("no stages to run", key="pipeline.stages", expected="a mapping of stages",
                        got=stages, fix="choose a pipeline, e.g. pipeline=default")
    unset = [k for k in PROJECT_KEYS if OmegaConf.is_missing(cfg, k)]
    if unset:  # one line naming them, not one "cannot resolve" per stage that reads them
        raise MlbpError("not set: the packaged defaults leave them to each project", key=", ".join(unset),
                        fix="set them in the project's conf/local/project.yaml (mlbp init writes them), or pass "
                            + " ".join(f"{k}=..." for k in unset))
    allowed = allowed_prefixes(cfg)
    problems: list[MlbpError] = []
    nodes: list[Node] = []
    for name in stages:
        node = stages._get_node(name)
        key = f"pipeline.stages.{name}"
        if node is None or node._is_none():
            continue  # `pipeline.stages.x: null` switches a stage off
        if not isinstance(node, DictConfig) or "_target_" not in node:
            problems.append(MlbpError("a stage needs a _target_", key=key, expected="_target_: a class",
                                      got=OmegaConf.to_container(node) if node is not None else None))
            continue
        try:
            cls = targets.resolve(str(node._target_), f"{key}._target_", allowed)
        except MlbpError as exc:
            problems.append(exc)
            continue
        lazy = set(getattr(cls, "build_later", ()))
        bad, deferred = check_targets(node, key, allowed, defer=tuple(f"{key}.{p}" for p in lazy))
        if bad:
            problems += bad
            continue
        _check_params(cls, node, key, problems)
        needs = _binding(node.get("needs"), tuple(getattr(cls, "needs", ())), f"{key}.needs", problems)
        makes = _binding(node.get("makes"), tuple(getattr(cls, "makes", ())), f"{key}.makes", problems)
        try:
            resolved = OmegaConf.to_container(node, resolve=True)
        except Exception as exc:  # noqa: BLE001 - an interpolation error, reported with the key
            problems.append(MlbpError(f"cannot resolve config: {exc}", key=key))
            continue
        if problems:
            continue
        params = OmegaConf.create({k: (None if k in lazy else v) for k, v in resolved.items()
                                   if k not in ("needs", "makes")})
        stage = safe_instantiate(params, key, allowed, _convert_="all")
        for k in lazy & set(resolved):
            setattr(stage, k, resolved[k])  # kept as plain data; the stage builds it when it runs
        nodes.append(Node(name=str(name), stage=stage, needs=needs, makes=makes, config=resolved, key=key,
                          deferred_targets=deferred))
    if problems:
        raise GraphError(problems)
    return Graph(nodes)
