"""The `mlbp` command: picks a subcommand by its leading words and runs it as a Hydra app.

Kept tiny on purpose so `mlbp --help` is instant: heavy imports happen inside the commands.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from mlbp.compose.commands import resolve

    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["--help"], ["-h"]):
        from mlbp.compose.commands import usage

        print(usage())
    task, positionals, rest = resolve(args)
    from mlbp.compose.launch import launch

    try:
        code = launch(task, rest, positionals)
    except BrokenPipeError:  # `mlbp --help | head`: the reader left; not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
