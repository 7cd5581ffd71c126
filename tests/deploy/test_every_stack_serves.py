"""Conformance across the stack group: every candidate's bundle reproduces its golden examples in a
fresh process and over HTTP on every protocol (the fast path may fall back, never the answers)."""

from __future__ import annotations

from importlib import resources

import pytest

from mlbp.cli import main

STACKS = sorted(p.name.removesuffix(".yaml") for p in (resources.files("mlbp") / "conf" / "stack").iterdir()
                if p.name.endswith(".yaml"))


@pytest.mark.parametrize("stack", STACKS)
def test_stack_bundle_passes_the_hand_off_checks(stack, project_dir):
    code = main(["experiment=quick", "data.source.n_rows=4000", f"stack={stack}",
                 "only=[golden_check,serve_check,batch_check]", "data.assess.fail_run=false"])
    assert code == 0, f"stack={stack} failed a hand-off check"


def test_every_stack_is_covered():
    assert {"lightgbm", "xgboost", "hist_gbm", "logistic"} <= set(STACKS)
