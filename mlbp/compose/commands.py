"""The table of `mlbp` subcommands: leading words -> task function and its positional arguments.

A task is `task(cfg, positionals) -> exit code`. Adding a command is one row here and one
function in `mlbp.compose.cmd_*`; the CLI itself does not change.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from mlbp.compose.launch import FLAG_VALUES, Task
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
    Command(("monitor",), "mlbp.compose.cmd_monitor:monitor", summary="drift, quality, performance, SLAs, alerts"),
    Command(("feedback", "import"), "mlbp.compose.cmd_monitor:feedback_import", positionals=("file",),
            summary="append labels/rewards to the feedback log"),
    Command(("data", "query"), "mlbp.compose.cmd_data:query", positionals=("sql",),
            summary="SQL over the lake (DuckDB, governed views, audited)"),
    Command(("catalog", "list"), "mlbp.compose.cmd_data:catalog_list", summary="list cataloged datasets"),
    Command(("catalog", "show"), "mlbp.compose.cmd_data:catalog_show", positionals=("name",),
            summary="schema, profile, classes and lineage of a dataset"),
    Command(("catalog", "read"), "mlbp.compose.cmd_data:catalog_read", positionals=("name", "out"),
            summary="export a dataset as the running team may see it (audited)"),
    Command(("contract", "infer"), "mlbp.compose.cmd_data:contract_infer", positionals=("out",),
            summary="write a starting contract inferred from the configured source"),
    Command(("init",), "mlbp.compose.cmd_data:init", positionals=("folder", "data"),
            summary="scaffold a project folder for your own CSV/Parquet file"),
    Command(("registry", "list"), "mlbp.compose.cmd_registry:list_models", summary="models, versions, aliases"),
    Command(("registry", "show"), "mlbp.compose.cmd_registry:show", ("version",),
            "one version and its promotion status"),
    Command(("registry", "approve"), "mlbp.compose.cmd_registry:approve", ("version", "alias"), "approve a promotion"),
    Command(("registry", "promote"), "mlbp.compose.cmd_registry:promote", ("version", "alias"),
            "move an alias if the policy is satisfied"),
    Command(("registry", "rollback"), "mlbp.compose.cmd_registry:rollback", ("alias",),
            "move an alias back to its previous holder"),
    Command(("registry", "history"), "mlbp.compose.cmd_registry:history", summary="every alias move"),
    Command(("registry", "diff"), "mlbp.compose.cmd_registry:diff", ("a", "b"), "what changed between two versions"),
    Command(("registry", "verify"), "mlbp.compose.cmd_registry:verify", summary="detect tampering"),
    Command(("registry", "gc"), "mlbp.compose.cmd_registry:gc",
            summary="remove folders killed registers and stages left behind"),
    Command(("registry", "card"), "mlbp.compose.cmd_registry:card", ("version",), "write a model card"),
    Command(("registry", "audit"), "mlbp.compose.cmd_registry:audit", summary="the audit trail"),
    Command(("registry", "archive"), "mlbp.compose.cmd_registry:archive", ("version",), "retire a version"),
    Command(("registry", "tag"), "mlbp.compose.cmd_registry:tag", ("version", "key", "value"), "tag a version"),
    Command(("registry", "keys", "create"), "mlbp.compose.cmd_keys:create", ("holder",),
            "a personal key: who holds it is who acts"),
    Command(("registry", "keys", "revoke"), "mlbp.compose.cmd_keys:revoke", ("holder",), "revoke a holder's keys"),
    Command(("registry", "keys", "list"), "mlbp.compose.cmd_keys:list_keys", summary="every key, never its value"),
    Command(("ui",), "mlbp.compose.cmd_registry:ui", summary="serve the dashboard"),
    Command(("serve",), "mlbp.compose.cmd_deploy:serve", summary="serve a registry alias or bundle over REST"),
    Command(("score",), "mlbp.compose.cmd_deploy:score", positionals=("input",),
            summary="batch-score a CSV / Parquet file or folder / lake:<dataset>"),
]


def resolve(args: list[str]) -> tuple[Task, list[str], list[str]]:
    """Longest matching command words, then its positionals; the rest goes to Hydra. Words are
    the arguments that are neither overrides nor Hydra flags (nor a flag's value), wherever they
    stand: `mlbp --config-dir conf serve` is `mlbp serve --config-dir conf`, as users type both."""
    at = _word_positions(args)
    words = [args[i] for i in at]
    best = COMMANDS[0]
    for cmd in COMMANDS:
        n = len(cmd.words)
        if n > len(best.words) and tuple(words[:n]) == cmd.words:
            best = cmd
    n_words = len(best.words)
    taken = words[n_words:n_words + len(best.positionals)]
    if best.positionals and len(taken) < len(best.positionals):
        usage = " ".join(f"<{p}>" for p in best.positionals)
        raise SystemExit(f"usage: mlbp {' '.join(best.words)} {usage} [overrides]")
    if not best.positionals and not best.words and words and words[0].isidentifier():
        known = sorted({c.words[0] for c in COMMANDS if c.words})
        raise SystemExit(f"mlbp: unknown command '{words[0]}'. Commands: {', '.join(known)}")
    used = set(at[:n_words + len(taken)])
    rest = [a for i, a in enumerate(args) if i not in used]
    module, func = best.task.split(":")
    task = getattr(importlib.import_module(module), func)
    return task, taken, rest


def usage() -> str:
    """The command list shown above Hydra's own `--help` (which lists groups and config)."""
    lines = ["mlbp commands (each is a Hydra app: overrides, -m, --cfg job and --help work):"]
    for cmd in COMMANDS:
        words = " ".join(["mlbp", *cmd.words, *(f"<{p}>" for p in cmd.positionals), "[overrides]"])
        lines.append(f"  {words:<46} {cmd.summary}")
    return "\n".join(lines) + "\n"




def _word_positions(args: list[str]) -> list[int]:
    """Indices of the arguments that are words: not overrides, not flags, not a flag's value."""
    out, skip = [], False
    for i, a in enumerate(args):
        if skip:
            skip = False
        elif a in FLAG_VALUES:  # its value is not a command word
            skip = True
        elif not _is_override(a):
            out.append(i)
    return out


def _is_override(arg: str) -> bool:
    return arg.startswith(("-", "+", "~")) or "=" in arg


__all__ = ["COMMANDS", "Command", "MlbpError", "resolve"]
