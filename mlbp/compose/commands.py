"""The table of `mlbp` subcommands: leading words -> task function and its positional arguments.

A task is `task(cfg, positionals) -> exit code`. Adding a command is one row here and one
function in `mlbp.compose.cmd_*`; the CLI itself does not change.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from mlbp.compose.launch import Task
from mlbp.engine.errors import MlbpError


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]
    task: str  # "module:function"
    positionals: tuple[str, ...] = ()  # names of positional arguments taken before overrides
    summary: str = ""


COMMANDS: list[Command] = [
    Command((), "mlbp.compose.cmd_run:run", summary="run the pipeline"),
    Command(("graph",), "mlbp.compose.cmd_run:graph", summary="print the run graph"),
    Command(("serve",), "mlbp.compose.cmd_deploy:serve", summary="serve a registry alias or bundle over REST"),
    Command(("score",), "mlbp.compose.cmd_deploy:score", positionals=("input",),
            summary="batch-score a CSV / Parquet file or folder / lake:<dataset>"),
]


def resolve(args: list[str]) -> tuple[Task, list[str], list[str]]:
    """Longest matching command words, then its positionals; the rest goes to Hydra."""
    best = COMMANDS[0]
    for cmd in COMMANDS:
        n = len(cmd.words)
        if n > len(best.words) and tuple(args[:n]) == cmd.words:
            best = cmd
    rest = args[len(best.words):]
    if best.positionals:
        taken = rest[: len(best.positionals)]
        if len(taken) < len(best.positionals) or any(t.startswith("-") for t in taken):
            usage = " ".join(f"<{p}>" for p in best.positionals)
            raise SystemExit(f"usage: mlbp {' '.join(best.words)} {usage} [overrides]")
        rest = rest[len(best.positionals):]
    else:
        taken = []
        first = next((a for a in rest if not _is_override(a)), None)
        if first is not None and not best.words and first.isidentifier():
            known = sorted({c.words[0] for c in COMMANDS if c.words})
            raise SystemExit(f"mlbp: unknown command '{first}'. Commands: {', '.join(known)}")
    module, func = best.task.split(":")
    task = getattr(importlib.import_module(module), func)
    return task, taken, rest


def _is_override(arg: str) -> bool:
    return arg.startswith(("-", "+", "~")) or "=" in arg


__all__ = ["COMMANDS", "Command", "MlbpError", "resolve"]
