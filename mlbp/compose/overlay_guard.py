"""Check what Hydra itself would build from a project, before Hydra runs.

Hydra instantiates `hydra.callbacks`, the launcher and the sweeper, and hands `hydra.job_logging`
to `logging.config.dictConfig` (whose `()` key calls any factory), all before mlbp sees the
config, so the resolver in mlbp.engine.targets would come too late for them. This reads a
project's overlay (every YAML under --config-dir) and the command line's overrides first, and
refuses a `_target_` under `hydra.` that the resolver refuses (allow-list: hydra's own classes,
its plugins and mlbp's; the class kind for callbacks), and any logging factory or handler class
outside the standard `logging` and `rich` ones.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from mlbp.engine import targets
from mlbp.engine.errors import MlbpError, Reason

HYDRA_ALLOWED: tuple[str, ...] = ("hydra.", "hydra_plugins.", "mlbp.")
LOGGING_CLASSES: tuple[str, ...] = ("logging.", "rich.logging.")
_PACKAGE = re.compile(r"^#\s*@package\s+(\S+)", re.MULTILINE)


def check_overlay(config_dir: str | None, overrides: list[str]) -> None:
    """Raise MlbpError for the first thing Hydra would build that the rules refuse."""
    for key, value in _override_items(overrides):
        _check(key, value, "the command line")
    if not config_dir or not Path(config_dir).is_dir():
        return
    root = Path(config_dir)
    for path in sorted(root.rglob("*.yaml")):
        try:
            node = OmegaConf.load(path)
        except Exception:  # noqa: BLE001 - Hydra reports unreadable YAML itself, naming the file
            continue
        for key, value in _leaves(node, _package(path, root)):
            _check(key, value, str(path))


def _package(path: Path, root: Path) -> str:
    """The key a file's content lands under: its `# @package` line, else its group folder."""
    head = path.read_text(errors="replace")[:2000]
    m = _PACKAGE.search(head)
    if m:
        return "" if m.group(1) == "_global_" else m.group(1)
    return ".".join(path.relative_to(root).parent.parts)


def _leaves(node: Any, key: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(node, DictConfig):
        for k in node:
            sub = f"{key}.{k}" if key else str(k)
            child = node._get_node(k)
            if isinstance(child, DictConfig | ListConfig):
                out += _leaves(child, sub)
            else:
                out.append((sub, child._value() if hasattr(child, "_value") else child))
    elif isinstance(node, ListConfig):
        for i in range(len(node)):
            out += _leaves(node._get_node(i), f"{key}[{i}]")
    return out


def _override_items(overrides: list[str]) -> list[tuple[str, str]]:
    items = []
    for a in overrides:
        if "=" in a and not a.startswith("-"):
            k, v = a.split("=", 1)
            items.append((k.lstrip("+~"), v.strip("'\"")))
    return items


def _check(key: str, value: Any, where: str) -> None:
    if not key.startswith("hydra."):
        return
    if key.endswith("._target_"):
        try:
            targets.resolve(str(value), key, HYDRA_ALLOWED)
        except MlbpError as exc:
            raise MlbpError(f"{where}: {exc.args[0] if exc.args else exc}", reason=Reason.NOT_ALLOWED, key=key,
                            expected=f"a class under one of {list(HYDRA_ALLOWED)}", got=str(value),
                            fix="Hydra builds this node itself before mlbp runs; name one of its own classes") \
                from exc
    elif key.startswith(("hydra.job_logging.", "hydra.hydra_logging.")):
        last = key.rsplit(".", 1)[-1]
        if last == "()" or (last == "class" and not str(value).startswith(LOGGING_CLASSES)):
            raise MlbpError(f"{where}: '{value}' is not allowed: a logging factory or class Hydra would call",
                            reason=Reason.NOT_ALLOWED, key=key, expected=f"a class under {list(LOGGING_CLASSES)}",
                            got=str(value), fix="use the standard logging handlers and formatters")
