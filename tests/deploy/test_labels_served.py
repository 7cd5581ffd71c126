"""A model of a table labelled in words answers in those words: on every protocol, in batch scores,
in its golden rows and after a bundle round trip. (Binary predictions used to be 0/1 codes.)"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mlbp.deploy.runtime.serving import golden_mismatch, load_serving
from mlbp.registry.bundle import load
from mlbp.stacks.predict import predict_frame
from tests.deploy.conftest import bundle_server, running
from tests.pipeline_runs import run_pipeline_in
from tests.stacks.test_labels import loans

LABELS = {"good", "bad"}


@pytest.fixture(scope="module")
def loans_run(tmp_path_factory):
    """init + the whole pipeline on a good/bad credit table, once for this module."""
    root = tmp_path_factory.mktemp("loans")
    loans().to_csv(root / "loans.csv", index=False)
    run_pipeline_in(root, ["init", "proj", str(root / "loans.csv"), "target=outcome"])
    run_pipeline_in(root, ["--config-dir", str(root / "proj" / "conf"), "stack.params.n_estimators=60"])
    run = json.loads(sorted(root.glob("outputs/*/*/run.json"))[-1].read_text())
    store = root / ".mlbp/store/objects"
    return {"root": root, "bundle": store / run["artifacts"]["bundle"], "scores": store / run["artifacts"]["scores"],
            "rows": loans().head(5).drop(columns=["outcome"])}


def test_every_protocol_answers_in_the_users_labels(loans_run):
    rows = loans_run["rows"]
    records = json.loads(rows.to_json(orient="records"))
    with running(bundle_server(loans_run["bundle"])) as s, s.client() as c:
        mlflow = c.post("/invocations", json={"dataframe_records": records}).json()["predictions"]
        assert {r["prediction"] for r in mlflow} <= LABELS and all(0 <= r["probability"] <= 1 for r in mlflow)
        plain = c.post("/predict", json=records).json()
        assert [r["prediction"] for r in plain["predictions"]] == [r["prediction"] for r in mlflow]
        csv = c.post("/invocations", content=rows.to_csv(index=False), headers={"content-type": "text/csv"})
        assert [r["prediction"] for r in csv.json()["predictions"]] == [r["prediction"] for r in mlflow]
        meta = c.get("/v2/models/loans").json()
        assert {o["name"]: o["datatype"] for o in meta["outputs"]} == {"probability": "FP64", "prediction": "BYTES",
                                                                         "error": "BYTES"}
        v2 = c.post("/v2/models/loans/infer", json={"inputs": [
            {"name": k, "shape": [len(rows)], "datatype": "FP64" if pd.api.types.is_numeric_dtype(rows[k]) else "BYTES",
             "data": rows[k].tolist()} for k in rows.columns]}).json()
        pred = next(o for o in v2["outputs"] if o["name"] == "prediction")
        assert pred["datatype"] == "BYTES" and pred["data"] == [r["prediction"] for r in mlflow]


def test_batch_scores_golden_rows_and_the_bundle_speak_the_same_labels(loans_run):
    scores = pd.read_parquet(loans_run["scores"] / "scores")
    assert set(scores["prediction"]) <= LABELS and len(set(scores["prediction"])) == 2
    manifest = json.loads((loans_run["bundle"] / "manifest.json").read_text())
    threshold = manifest["threshold"]
    assert (scores["prediction"] == scores["probability"].ge(threshold).map({True: "bad", False: "good"})).all()
    assert "'bad' when probability >=" in json.dumps(manifest["outputs"])
    bundle = load(loans_run["bundle"])  # round trip: the encoding comes back with the model
    out = predict_frame(bundle.model, bundle.signature, loans().head(50), threshold)
    assert set(out["prediction"]) <= LABELS
    golden = pd.read_parquet(loans_run["bundle"] / "golden.parquet")
    assert set(golden["expected_prediction"]) <= LABELS
    assert golden_mismatch(load_serving(loans_run["bundle"])) is None


def test_feedback_arrives_in_the_users_labels(loans_run):
    """A label as the user writes it earns the reward; a label that is no class is a 422 naming the classes."""
    records = json.loads(loans_run["rows"].to_json(orient="records"))
    with running(bundle_server(loans_run["bundle"])) as s, s.client() as c:
        r = c.post("/predict", json=records[:1])
        request_id, said = r.headers["x-request-id"], r.json()["predictions"][0]["prediction"]
        ok = c.post("/feedback", json={"request_id": request_id, "label": said})
        assert ok.status_code == 200 and ok.json()["reward"] == 1.0
        other = "good" if said == "bad" else "bad"
        assert c.post("/feedback", json={"request_id": request_id, "label": other}).json()["reward"] == 0.0
        bad = c.post("/feedback", json={"request_id": request_id, "label": "ugly"})
        assert bad.status_code == 422 and bad.json()["field"] == "label" and "not a class" in bad.json()["error"]
        assert c.post("/feedback", json={"request_id": request_id, "label": [1]}).status_code == 422
