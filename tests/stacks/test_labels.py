"""Class labels of any type: encoded once at training by a stated rule, kept in the model and the
bundle. Tables labelled Yes/No, good/bad, True/False or 1/2 used to crash in train on
`y.astype("int64")`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from mlbp.cli import main
from mlbp.data.labels import Labels, label_key
from mlbp.engine.errors import MlbpError
from mlbp.stacks.train import fit_stack
from tests.stacks.test_stack_conformance import composed_stack


def loans(n: int = 2500, seed: int = 4, labels=("good", "bad"), bad_share: float = 0.3) -> pd.DataFrame:
    """A credit table: the outcome in words, the minority 'bad'."""
    rng = np.random.default_rng(seed)
    income = rng.gamma(3.0, 900.0, n).round(0)
    debt = rng.gamma(2.0, 400.0, n).round(0)
    purpose = rng.choice(["car", "home", "education", "business"], n)
    risk = debt / income + (purpose == "business") * 0.3 + rng.normal(0, 0.25, n)
    bad = risk > np.quantile(risk, 1 - bad_share)
    return pd.DataFrame({"loan_ref": [f"L{i:06d}" for i in range(n)], "income": income, "debt": debt,
                         "purpose": purpose, "outcome": np.where(bad, labels[1], labels[0])})


@pytest.mark.parametrize(("values", "positive", "rule"), [
    (["Yes", "No", "No"], "Yes", "named like a positive"),
    (["no", "yes", "no"], "yes", "named like a positive"),
    ([True, False, False], True, "named like a positive"),
    ([0, 1, 0], 1, "named like a positive"),
    ([1, 2, 2], 1, "named like a positive"),          # the stated rule: '1' reads as a positive
    (["good", "bad", "good"], "bad", "the minority class"),
    (["VF", "F", "F", "F"], "VF", "the minority class"),
])
def test_the_positive_class_follows_the_stated_rule(values, positive, rule):
    labels = Labels.learn(pd.Series(values * 10), "binary")
    assert labels.positive == positive and labels.rule.startswith(rule)
    assert labels.classes[1] == positive and labels.encode(pd.Series([positive]))[0] == 1
    assert list(labels.decode(labels.encode(pd.Series(values)))) == values


def test_a_declared_positive_wins_and_a_wrong_one_names_the_classes():
    labels = Labels.learn(pd.Series(["good", "bad", "good"]), "binary", positive="good")
    assert labels.positive == "good" and labels.rule == "declared (positive_label)"
    with pytest.raises(MlbpError, match="positive_label") as err:
        Labels.learn(pd.Series(["good", "bad"]), "binary", positive="ugly")
    assert err.value.expected == ["bad", "good"]


def test_one_label_in_many_spellings_and_unknown_labels_named():
    assert label_key(1) == label_key(1.0) == label_key("1") == label_key(np.int64(1)) == "1"
    labels = Labels.learn(pd.Series([1.0, 2.0, 1.0, np.nan]), "binary")
    assert labels.classes == [2, 1]  # floats read from a CSV with gaps are the integers they hold
    assert list(labels.encode(pd.Series(["1", 2, np.int64(1)]))) == [1, 0, 1]
    with pytest.raises(MlbpError, match=r"not trained on: \['3'\]"):
        labels.encode(pd.Series([1, 3]))
    with pytest.raises(MlbpError, match="has 3"):
        Labels.learn(pd.Series(["a", "b", "c"]), "binary")


def test_multiclass_codes_follow_the_labels_natural_order():
    assert Labels.learn(pd.Series(["M", "VF", "F", "L"]), "multiclass").classes == ["F", "L", "M", "VF"]
    assert Labels.learn(pd.Series([10, 2, 33]), "multiclass").classes == [2, 10, 33]
    assert Labels.from_info({"task": "binary", "classes": [0, 1]}).positive == 1  # older models


@pytest.mark.parametrize("labels", [("good", "bad"), (False, True), (2, 1), ("No", "Yes")])
def test_stacks_train_on_labels_of_any_type_and_score_the_positive_class(labels):
    df = loans(labels=labels)
    pipe, info = fit_stack(composed_stack("logistic"), df, "outcome", "binary", ["loan_ref"], seed=1)
    assert info["labels"]["positive"] == labels[1] and info["classes"] == [labels[0], labels[1]]
    p = pipe.predict_proba(df[info["numeric"] + info["categorical"]])[:, 1]
    assert roc_auc_score(df["outcome"].map(label_key) == label_key(labels[1]), p) > 0.7


def test_a_good_bad_table_runs_from_init_to_a_registered_bundle(project_dir, capsys):
    loans().to_csv(project_dir / "loans.csv", index=False)
    assert main(["init", "proj", str(project_dir / "loans.csv"), "target=outcome"]) == 0
    assert "positive class: 'bad', the minority class (30% of rows)" in " ".join(capsys.readouterr().out.split())
    assert main(["--config-dir", str(project_dir / "proj" / "conf"), "stack.params.n_estimators=60"]) == 0
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    assert run["status"] == "done" and run["stages"]["evaluate"]["facts"]["blessed"] is True
    store = project_dir / ".mlbp/store/objects"
    model = json.loads((store / run["artifacts"]["model"] / "model.json").read_text())
    assert model["labels"] == {"classes": ["good", "bad"], "positive": "bad",
                               "rule": "declared (positive_label)"}  # init wrote it down
    manifest = json.loads((store / run["artifacts"]["bundle"] / "manifest.json").read_text())
    assert manifest["signature"]["labels"]["positive"] == "bad"
    card = json.loads((store / run["artifacts"]["scorecard"] / "scorecard.json").read_text())
    assert card["labels"]["positive"] == "bad" and card["holdout"]["roc_auc"] > 0.7
