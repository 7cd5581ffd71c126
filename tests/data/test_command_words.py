"""Hydra flag values are not mistaken for commands: `mlbp --config-dir conf`, `mlbp --cfg job`."""

from __future__ import annotations

import pytest

from mlbp.compose.commands import resolve


@pytest.mark.parametrize("args", [["--config-dir", "conf"], ["--cfg", "job"], ["-cd", "conf", "team=marketing"]])
def test_flag_values_are_not_commands(args):
    task, positionals, rest = resolve(args)
    assert task.__name__ == "run" and rest == args


def test_unknown_words_are_still_refused():
    with pytest.raises(SystemExit, match="unknown command 'catalogue'"):
        resolve(["catalogue", "list"])
