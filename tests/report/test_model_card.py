"""Model cards come from lineage and degrade gracefully when a section's data is missing."""

from __future__ import annotations

import json

from mlbp.report.model_card import card_data, write_card


def test_card_has_every_section_from_lineage(registry, tmp_path):
    paths = write_card(registry, "shop", 2, tmp_path / "cards")
    md, html = paths["md"].read_text(), paths["html"].read_text()
    assert md.startswith("# Model card: shop v2")
    assert "Rank shoppers for a coupon." in md and "growth" in md  # intended use and owners from config
    assert "| channel=app | 0.7500 | 600 |" in md  # slices
    assert "profit_per_1000_rows | 402" in md  # business value
    assert "brier" in md.split("## Calibration")[1]  # calibration falls back to the Brier score
    assert "- bob (approver) approved for `champion`" in md
    history = md.split("## History")[1]
    assert "promote `champion`: v1 → v2 by bob — better auc" in history
    assert "rollback `champion`: v2 → v1 by alice — latency alert" in history
    assert "2" * 40 in md  # code version
    assert "<h2>Approvals</h2>" in html and "latency alert" in html and "&lt;" not in md
    assert json.loads(paths["json"].read_text())["version"] == 2


def test_card_degrades_gracefully_without_lineage(registry, tmp_path):
    from mlbp.registry.bundle import write_manifest

    folder = tmp_path / "bare"
    folder.mkdir()
    (folder / "model.joblib").write_bytes(b"x")
    write_manifest(folder, {"name": "shop"})
    registry.register("shop", folder, "f" * 64, author="eve")  # no info, no scorecard, no signature
    data = card_data(registry, "shop", 4)
    assert data["assessment"] is None and data["slices"] is None and data["approvals"] == []
    md = write_card(registry, "shop", 4, tmp_path / "cards")["md"].read_text()
    assert "_Not stated: set `registry.card.intended_use` in config._" in md
    assert "_No data assessment recorded" in md and "_No metrics recorded._" in md
    assert "_This version has never held an alias._" in md


def test_slices_in_any_shape_become_rows():
    from mlbp.report.model_card import slice_rows

    assert slice_rows({"channel": [{"value": "app", "roc_auc": 0.8, "rows": 10}]}) == \
        [{"slice": "channel=app", "roc_auc": 0.8, "rows": 10}]
    assert slice_rows({"region=north": {"roc_auc": 0.7, "curve": [1, 2]}}) == \
        [{"slice": "region=north", "roc_auc": 0.7}]
    assert slice_rows([{"slice": "all", "roc_auc": 0.7}]) == [{"slice": "all", "roc_auc": 0.7}]
    assert slice_rows(None) is None and slice_rows({}) is None
    stacks_shape = {"columns": ["region"], "min_rows": 50, "metric": "roc_auc", "worst": {"column": "region"},
                    "slices": [{"column": "region", "value": "north", "rows": 80, "roc_auc": 0.6, "ranked": True,
                                "worst": True}]}
    assert slice_rows(stacks_shape) == [{"slice": "region=north", "rows": 80, "roc_auc": 0.6, "ranked": True,
                                         "worst": True}]


def test_calibration_scalars_and_reliability_curve(registry, tmp_path):
    v = registry.get("shop", 3)
    info = dict(v["info"])
    info["scorecard"] = {**info["scorecard"], "calibration": {
        "ece": 0.031, "bins": 10, "curve": [{"bin": 0, "predicted": 0.05, "observed": 0.04, "rows": 300}],
        "recalibrated": {"ece": 0.02}}}
    from sqlalchemy import update

    from mlbp.registry.db import version_table

    with registry.engine.begin() as conn:
        conn.execute(update(version_table).where(version_table.c.id == v["id"]).values(info=info))
    md = write_card(registry, "shop", 3, tmp_path / "cards")["md"].read_text()
    calibration = md.split("## Calibration")[1].split("## Limitations")[0]
    assert "| ece | 0.0310 |" in calibration and "| recalibrated.ece | 0.0200 |" in calibration
    assert "| 0 | 0.0500 | 0.0400 | 300 |" in calibration
