"""Multiclass as a normal case: 15 classes with string labels, some rare, from `mlbp init` to a
served model: per-class recall and a confusion matrix in the scorecard and the card, a rule on
the worst class, and one probability per class on every protocol."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlbp.cli import main
from mlbp.stacks.blessing import bless
from tests.deploy.conftest import bundle_server, running
from tests.pipeline_runs import run_pipeline_in

SPECIES = [f"sp_{chr(ord('a') + i)}" for i in range(15)]


def plants(n: int = 5000, seed: int = 8) -> pd.DataFrame:
    """Fifteen species told apart by two measurements and a habitat; the last three are rare."""
    rng = np.random.default_rng(seed)
    weights = np.array([10.0] * 12 + [1.2, 1.0, 0.8])
    k = rng.choice(15, n, p=weights / weights.sum())
    return pd.DataFrame({
        "specimen": [f"P-{i:05d}" for i in range(n)],
        "leaf_mm": np.round(20 + 6 * k + rng.normal(0, 3, n), 1),
        "stem_mm": np.round(5 + 2 * (k % 5) + rng.normal(0, 0.8, n), 1),
        "habitat": np.array(["wet", "dry", "shade"])[k % 3],
        "species": np.array(SPECIES)[k],
    })


@pytest.fixture(scope="module")
def plants_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("plants")
    plants().to_csv(root / "plants.csv", index=False)
    run_pipeline_in(root, ["init", "proj", str(root / "plants.csv"), "target=species"])
    run_pipeline_in(root, ["--config-dir", str(root / "proj" / "conf"), "stack.params.n_estimators=40",
                           "evaluation.scorecard.cv.seeds=[1]", "evaluation.scorecard.importance.rows=500"])
    run = json.loads(sorted(root.glob("outputs/*/*/run.json"))[-1].read_text())
    store = root / ".mlbp/store/objects"
    card = json.loads((store / run["artifacts"]["scorecard"] / "scorecard.json").read_text())
    return {"root": root, "run": run, "card": card, "bundle": store / run["artifacts"]["bundle"]}


def test_fifteen_classes_are_evaluated_class_by_class(plants_run):
    card = plants_run["card"]
    assert card["task"] == "multiclass" and card["classes"] == SPECIES
    report = card["per_class"]
    assert report["labels"] == SPECIES and len(report["matrix"]) == 15
    assert sum(map(sum, report["matrix"])) == card["holdout_rows"]
    assert set(report["per_class"]) == set(SPECIES) and report["worst_recall"]["class"] in SPECIES
    assert {"macro_f1", "log_loss", "accuracy", "roc_auc_ovr"} <= set(card["holdout"])
    assert card["criteria"]["min_class_recall"] == report["worst_recall"]["recall"]
    assert card["blessed"] is True  # init's rule for multiclass: roc_auc_ovr >= 0.6
    ok, failed = bless(card["criteria"], {"min_class_recall": {"min": 1.01}})
    assert not ok and failed[0].startswith("min_class_recall")
    assert any(p.endswith("confusion_matrix.png") for p in card["plots"])


def test_fifteen_class_model_serves_a_probability_per_class(plants_run):
    rows = plants().head(4).drop(columns=["species"])
    with running(bundle_server(plants_run["bundle"])) as s, s.client() as c:
        out = c.post("/invocations", json={"dataframe_records": json.loads(rows.to_json(orient="records"))}).json()
        first = out["predictions"][0]
        probs = {k[len("probability_"):]: v for k, v in first.items() if k.startswith("probability_")}
        assert list(probs) == SPECIES and abs(sum(probs.values()) - 1) < 1e-9
        assert first["prediction"] == max(probs, key=probs.get)
        meta = c.get("/v2/models/plants").json()
        kinds = {o["name"]: o["datatype"] for o in meta["outputs"]}
        assert kinds["prediction"] == "BYTES" and sum(k.startswith("probability_") for k in kinds) == 15


def test_the_card_lists_every_class(plants_run, monkeypatch):
    monkeypatch.chdir(plants_run["root"])
    assert main(["registry", "card", "1", "--config-dir", str(plants_run["root"] / "proj" / "conf")]) == 0
    md = next(plants_run["root"].glob("outputs/model_cards/plants/v1/model_card.md")).read_text()
    classes = md.split("### Classes", 1)[1].split("###", 1)[0]
    assert all(f"| {s} |" in classes for s in SPECIES)
