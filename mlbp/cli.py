"""The `mlbp` command: picks a subcommand by its leading words and runs it as a Hydra app.

Kept tiny on purpose so `mlbp --help` is instant: heavy imports happen inside the commands.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from mlbp.compose.commands import resolve

    if argv is None:  # as a command: `mlbp --help | head` ends quietly when the reader leaves,
        from mlbp.compose.stdout import ReaderMayLeave  # while SIGPIPE stays ignored (servers)

        sys.stdout = ReaderMayLeave(sys.stdout)  # type: ignore[assignment]
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["--help"], ["-h"]):
        from mlbp.compose.commands import usage

        print(usage())
    task, positionals, rest = resolve(args)
    from mlbp.compose.launch import launch

    code = launch(task, rest, positionals)
    if argv is None:
        sys.stdout.flush()  # through ReaderMayLeave: a reader gone by now is no error either
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
