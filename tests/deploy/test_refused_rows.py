"""An unseen category refuses its row, not the request: every protocol answers the other rows
with the predictions they get on their own, and the refused row with a short error in its place
(docs/deploy.md, "Unseen categories, row by row"). The slow tests read the answers with MLflow's
own client and tritonclient, each from its own virtualenv (tests/peers.py)."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from tests.peers import TRITON_INPUTS

from .conftest import ListSink, bundle_server, running
from .test_v2_binary import json_request, read_binary_response

MODEL = "restaurant-offers"
COLUMN = "region"
BAD = [1, 4]  # rows holding a region the model never saw


@pytest.fixture(scope="module")
def frames(example, golden):
    df = golden[example["features"]].head(6).reset_index(drop=True).copy()
    bad = df.copy()
    bad[COLUMN] = bad[COLUMN].astype(object)
    bad.loc[BAD, COLUMN] = ["atlantis", "El Dorado, \"gold\" coast"]
    return df, bad


def _records(df):
    return df.astype(object).where(df.notna(), None).to_dict("records")


def _csv(df):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(df.columns)
    for r in _records(df):
        w.writerow(["" if v is None else v for v in r.values()])
    return buf.getvalue().encode()


def _scored(c, df):
    """What the good rows get on their own."""
    good = df.drop(index=BAD)
    r = c.post("/invocations", json={"dataframe_records": _records(good)})
    assert r.status_code == 200, r.text
    return dict(zip(good.index, r.json()["predictions"], strict=True))


def _check_rows(preds, alone, n):
    assert len(preds) == n
    for i, p in enumerate(preds):
        if i in BAD:
            assert p["field"] == COLUMN and p["row"] == i and f"row {i}" in p["error"], p
            assert "unknown category" in p["error"] and len(p["error"]) < 300
        else:
            assert p == alone[i]


def test_mlflow_json_csv_and_predict_answer_each_row(server, frames):
    df, bad = frames
    with server.client() as c:
        alone = _scored(c, bad)
        split = {"columns": list(bad.columns), "data": [list(r.values()) for r in _records(bad)]}
        bodies = {"split": {"json": {"dataframe_split": split}},
                  "records": {"json": {"dataframe_records": _records(bad)}},
                  "csv": {"content": _csv(bad), "headers": {"content-type": "text/csv"}}}
        for name, kw in bodies.items():
            r = c.post("/invocations", **kw)
            assert r.status_code == 200, (name, r.text)
            _check_rows(r.json()["predictions"], alone, len(bad))
        r = c.post("/predict", json={"records": _records(bad)})
        assert r.status_code == 200
        _check_rows(r.json()["predictions"], alone, len(bad))


def test_v2_keeps_tensors_dense_with_an_error_tensor(server, example, frames):
    df, bad = frames
    sig = example["manifest"]["signature"]
    with server.client() as c:
        alone = _scored(c, bad)
        r = c.post(f"/v2/models/{MODEL}/infer", json=json_request(bad, sig))
        assert r.status_code == 200, r.text
        out = {o["name"]: o for o in r.json()["outputs"]}
        assert out["error"]["datatype"] == "BYTES" and out["error"]["shape"] == [len(bad)]
        for i in range(len(bad)):
            if i in BAD:
                assert "unknown category" in out["error"]["data"][i] and out["probability"]["data"][i] is None
            else:
                assert out["error"]["data"][i] == "" and out["probability"]["data"][i] == alone[i]["probability"]
                assert out["prediction"]["data"][i] == alone[i]["prediction"]
        binary = c.post(f"/v2/models/{MODEL}/infer", json={**json_request(bad, sig),
                                                           "parameters": {"binary_data_output": True}})
        got = read_binary_response(binary)
        assert np.isnan(np.asarray(got["probability"])[BAD]).all()
        assert [bool(e) for e in got["error"]] == [i in BAD for i in range(len(bad))]
        clean = c.post(f"/v2/models/{MODEL}/infer", json=json_request(df, sig)).json()
        assert [o["name"] for o in clean["outputs"]] == ["probability", "prediction"]  # `error` only when refused
        asked = c.post(f"/v2/models/{MODEL}/infer", json={**json_request(df, sig), "outputs": [{"name": "error"}]})
        assert asked.json()["outputs"][0]["data"] == [""] * len(df)


def test_a_request_whose_every_row_is_refused_is_a_422(server, frames):
    _, bad = frames
    only_bad = bad.loc[BAD]
    with server.client() as c:
        r = c.post("/invocations", json={"dataframe_records": _records(only_bad)})
    assert r.status_code == 422 and r.json()["field"] == COLUMN
    assert "row 0" in r.json()["error"] and "(2 of 2 rows refused)" in r.json()["error"]


def test_score_policy_scores_every_row_and_the_log_holds_scored_rows_only(example, frames):
    _, bad = frames
    with running(bundle_server(example["bundle"], unknown_category="score")) as s, s.client() as c:
        r = c.post("/invocations", json={"dataframe_records": _records(bad)})
        assert r.status_code == 200 and all("error" not in p for p in r.json()["predictions"])
    sink = ListSink()
    with running(bundle_server(example["bundle"], sink=sink)) as s, s.client() as c:
        r = c.post("/predict", json={"records": _records(bad)})
        rid = r.json()["request_id"]
        metrics = c.get("/metrics").text
    assert [rec["request_id"] for rec in sink.records] == [f"{rid}-{i}" for i in range(len(bad)) if i not in BAD]
    assert 'mlbp_rows_refused_total{model="restaurant-offers",variant="default",version="1"} 2.0' in metrics


MLFLOW_CLIENT = """
import json, sys
import pandas as pd
from mlflow.pyfunc.scoring_server.client import ScoringServerClient

host, port, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3]
client = ScoringServerClient(host, port)
client.wait_server_ready(timeout=30)
got = client.invoke(pd.read_parquet(rows)).get_predictions()
print(json.dumps({"columns": sorted(got.columns), "records": got.astype(object).where(got.notna(), None)
                  .to_dict("records")}))
"""

TRITON_CLIENT = TRITON_INPUTS + """
import sys
url, model, rows_file = sys.argv[1], sys.argv[2], sys.argv[3]
client = http.InferenceServerClient(url=url)
r = client.infer(model, binary_inputs(json.load(open(rows_file))))
errors = r.as_numpy("error")
print(json.dumps({"error": [e.decode() if isinstance(e, bytes) else e for e in errors.tolist()],
                  "probability": [None if np.isnan(p) else p for p in r.as_numpy("probability").tolist()]}))
"""


@pytest.mark.slow
def test_mlflows_client_and_tritonclient_read_the_refused_rows(server, example, frames, tmp_path):
    from tests.peers import run_peer, tensor_spec

    _, bad = frames
    with server.client() as c:
        alone = _scored(c, bad)
    bad.to_parquet(tmp_path / "rows.parquet")
    host, port = server.base.removeprefix("http://").split(":")
    proc = run_peer("mlflow", MLFLOW_CLIENT, host, port, str(tmp_path / "rows.parquet"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["columns"] == ["error", "field", "prediction", "probability", "row"]
    for i, rec in enumerate(got["records"]):
        if i in BAD:
            assert rec["field"] == COLUMN and "unknown category" in rec["error"] and rec["probability"] is None
        else:
            assert rec["error"] is None and rec["probability"] == pytest.approx(alone[i]["probability"], abs=1e-12)

    sig = example["manifest"]["signature"]
    tensor_spec(bad, sig["categorical"], tmp_path / "rows.json")
    proc = run_peer("tritonclient", TRITON_CLIENT, server.base.removeprefix("http://"), MODEL,
                    str(tmp_path / "rows.json"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    for i in range(len(bad)):
        if i in BAD:
            assert "unknown category" in got["error"][i] and got["probability"][i] is None
        else:
            assert got["error"][i] == "" and got["probability"][i] == pytest.approx(alone[i]["probability"], abs=1e-12)
