"""Text from data is printed as it is: rich markup in a column name, a regex, an extra's brackets
or a table cell is neither interpreted nor eaten, and never crashes the printer."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table

from mlbp.cli import main
from mlbp.compose import say as printing

NASTY = [
    "[/x]",
    r"pattern \.[a-z]+$ did not match",
    "pip install 'mlbp[trees]'",
    "[bold red]not red[/]",
    "[link=http://example.com]click[/link]",
    "a [ lone bracket and a ] closing one",
    "\\[escaped] already",
]


def _capture() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=300, color_system=None), buf


@pytest.mark.parametrize("text", NASTY)
def test_values_print_verbatim(text):
    out, buf = _capture()
    printing.say("[bold]{}[/]: {} ({:,} rows)", text, text, 12345, out=out)
    assert buf.getvalue() == f"{text}: {text} (12,345 rows)\n"
    out, buf = _capture()
    printing.say_error(Exception(text), out=out)
    assert buf.getvalue() == f"error: {text}\n"


def test_table_cells_print_verbatim(monkeypatch):
    buf = io.StringIO()
    monkeypatch.setattr(printing, "console", lambda err=False, markup=True: Console(
        file=buf, width=300, color_system=None, markup=markup))
    t = Table()
    t.add_column("value")
    for text in NASTY:
        t.add_row(text)
    printing.show_table(t)
    for text in NASTY:
        assert text in buf.getvalue()


def test_the_cli_prints_an_error_about_a_bracketed_column_verbatim(champion_project, tmp_path, monkeypatch, capsys):
    """A header like this used to crash the error printer (rich MarkupError)."""
    path = tmp_path / "in.csv"
    path.write_text("[/x],[bold]b,[/x]\n1,2,3\n")
    monkeypatch.chdir(champion_project)
    assert main(["score", str(path), f"deploy.score.output={tmp_path / 'out'}"]) != 0
    err = capsys.readouterr().err
    assert "column '[/x]' appears twice in the header (columns 1 and 3)" in err
    assert "Traceback" not in err and "MarkupError" not in err
