"""The `mlbp` command: picks a subcommand by its leading words and runs it as a Hydra app.

Kept tiny on purpose so `mlbp --help` is instant: heavy imports happen inside the commands.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from mlbp.compose.commands import resolve

    args = list(sys.argv[1:] if argv is None else argv)
    task, positionals, rest = resolve(args)
    from mlbp.compose.launch import launch

    code = launch(task, rest, positionals)
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
