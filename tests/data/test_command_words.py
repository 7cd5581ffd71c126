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


@pytest.mark.parametrize("args", [
    ["--config-dir", "p/conf", "serve", "deploy.rest.port=9000"],
    ["serve", "--config-dir", "p/conf", "deploy.rest.port=9000"],
    ["-cd", "p/conf", "deploy.rest.port=9000", "serve"],
])
def test_a_command_after_hydra_flags_is_still_the_command(args):
    task, positionals, rest = resolve(args)
    assert task.__name__ == "serve" and positionals == []
    assert rest == [a for a in args if a != "serve"]


def test_words_and_positionals_after_flags():
    task, positionals, rest = resolve(["--config-dir", "p/conf", "score", "data.csv", "deploy.batch.n_jobs=1"])
    assert task.__name__ == "score" and positionals == ["data.csv"]
    assert rest == ["--config-dir", "p/conf", "deploy.batch.n_jobs=1"]
    task, positionals, rest = resolve(["--config-dir", "p/conf", "registry", "show", "3"])
    assert task.__name__ == "show" and positionals == ["3"] and rest == ["--config-dir", "p/conf"]
    with pytest.raises(SystemExit, match="usage: mlbp score <input>"):
        resolve(["--config-dir", "p/conf", "score"])
