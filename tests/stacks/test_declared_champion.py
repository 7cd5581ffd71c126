"""The champion is an input evaluate declares: after a promotion, a re-run's scorecard (and every
sweep job's) compares against the new champion. Evaluate is cacheable and read the registry
without declaring it, so a re-run reused a scorecard blessed against the old champion."""

from __future__ import annotations

import json

import pytest

from mlbp.cli import main
from mlbp.registry.store import registry_of
from tests.conftest import CHAMPION_RUN


def _newest(project_dir, pattern="outputs/*/*/run.json"):
    """(run manifest, scorecard) of the newest run matching pattern."""
    run = json.loads(max(project_dir.glob(pattern), key=lambda p: p.stat().st_mtime).read_text())
    store = project_dir / ".mlbp" / "store" / "objects"
    return run, json.loads((store / run["artifacts"]["scorecard"] / "scorecard.json").read_text())


@pytest.mark.slow
def test_a_promotion_reaches_the_next_run_and_the_next_sweep(project_dir):
    assert main(CHAMPION_RUN) == 0  # v1, the first champion
    assert main([*CHAMPION_RUN, "stack.params.n_estimators=120"]) == 0  # v2, registered beside it
    reg = registry_of({"db": f"sqlite:///{project_dir}/.mlbp/mlbp.db", "root": project_dir / ".mlbp" / "registry"})
    assert reg.aliases("restaurant-offers")["champion"] == 1
    reg.set_alias("restaurant-offers", "champion", 2, actor="tester", reason="promoted by hand")

    assert main(CHAMPION_RUN) == 0  # the first run's config again: same data, same stack
    run, card = _newest(project_dir)
    assert run["stages"]["evaluate"]["cache_hit"] is False
    assert card["champion"]["version"] == 2

    reg.set_alias("restaurant-offers", "champion", 1, actor="tester", reason="rolled back by hand")
    assert main(["-m", *CHAMPION_RUN]) == 0
    run, card = _newest(project_dir, "outputs/multirun/*/*/*/run.json")
    assert card["champion"]["version"] == 1
