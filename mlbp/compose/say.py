"""Printing for people: the styles are ours, the text from data is never read as markup.

rich reads `[...]` as markup, so a column named `[/x]` crashed the error printer and bracketed
text in a message vanished (`\\.[a-z]+$` printed as `\\.+$`, `pip install 'mlbp[trees]'` as
`pip install 'mlbp'`). Every command prints through `say`: the template may hold markup, and
each `{}` is filled with a value escaped after formatting (`{:,}` and the like still work).

    say("[bold]{}[/] v{}: {:,} predictions", name, version, rows)
    say_error(exc)                     # "error: <message>", the message verbatim
"""

from __future__ import annotations

import string
from typing import Any


class _Escaping(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        from rich.markup import escape

        return escape(super().format_field(value, format_spec))


def markup(template: str, *values: Any, **named: Any) -> str:
    """`template` with its fields filled by escaped values: safe to print as markup."""
    return _Escaping().format(template, *values, **named)


def console(err: bool = False, markup: bool = True) -> Any:
    """A rich console; when piped (CI logs, grep) wide enough that tables are not truncated."""
    import sys

    from rich.console import Console

    stream = sys.stderr if err else sys.stdout
    return Console(stderr=err, width=None if stream.isatty() else 200, markup=markup)


def show_table(table: Any, err: bool = False) -> None:
    """A rich Table whose cells hold data: printed with markup off, so a cell is shown as it is."""
    console(err, markup=False).print(table)


def say(template: str, *values: Any, err: bool = False, out: Any = None, **kw: Any) -> None:
    """Print `template` (markup) with `values` filled in as plain text."""
    (out or console(err)).print(markup(template, *values), highlight=False, **kw)


def say_error(exc: BaseException | str, out: Any = None) -> None:
    """`error: <message>` on stderr, the message exactly as it is."""
    say("[bold red]error[/]: {}", str(exc), err=True, out=out, soft_wrap=True)
