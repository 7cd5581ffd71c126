"""Slow: two real pipeline runs register two versions whose lineage, diff and model card come
from the runs themselves (config, data fingerprint, assessment, run manifest)."""

from __future__ import annotations

import json

import pytest

from mlbp.cli import main
from mlbp.registry.diff import diff_versions
from mlbp.registry.store import Registry
from mlbp.report.model_card import card_data

SMALL = ["experiment=quick"]


@pytest.mark.slow
def test_pipeline_runs_leave_lineage_a_diff_and_a_card(project_dir, monkeypatch):
    monkeypatch.setenv("MLBP_ACTOR", "dave")
    assert main([*SMALL, "data.source.n_rows=6000"]) == 0
    assert main([*SMALL, "data.source.n_rows=5000"]) == 0
    reg = Registry(f"sqlite:///{project_dir / '.mlbp' / 'mlbp.db'}", project_dir / ".mlbp" / "registry")
    v1, v2 = reg.get("restaurant-offers", 1), reg.get("restaurant-offers", 2)
    lineage = v2["info"]["lineage"]
    assert v2["author"] == "dave" and json.loads((project_dir / lineage["run_manifest"]).read_text())["run_id"] \
        == lineage["run_id"]
    assert lineage["config"]["data"]["source"]["n_rows"] == 5000 and len(lineage["data_fingerprint"]["train"]) == 64
    assert reg.aliases("restaurant-offers") == {"champion": 1}  # first_champion=auto took v1 only
    d = diff_versions(reg, "restaurant-offers", 1, 2)
    assert {"key": "data.source.n_rows", "a": 6000, "b": 5000} in d["config"]["changed"]
    assert d["data"]["fingerprint"]["same"] is False and d["data"]["profile"]["rows"]["a"] != \
        d["data"]["profile"]["rows"]["b"]
    card = card_data(reg, "restaurant-offers", 1)
    assert card["assessment"]["verdict"] in ("pass", "warn") and card["history"][0]["action"] == "auto_promote"
    assert card["intended_use"] and card["business"] and v1["info"]["scorecard"]["blessed"] is True
    assert main(["registry", "verify"]) == 0
