"""What MLflow's scoring clients send and ask, answered as `mlflow models serve` answers it.

MLflow's client serializes a DataFrame with Python's json module, so a missing number arrives as
the bare `NaN` literal and an infinite one as `Infinity` / `-Infinity`, which strict JSON parsers
refuse (every such request used to get a 400). It probes `GET /ping` before invoking and may ask
`GET /version`. The slow test drives MLflow's own client from its own virtualenv
(tests/peers.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import mlbp

NULLABLE_NUMBER = "avg_ticket"  # nullable in the example's contract
REQUIRED_NUMBER = "distance_km"  # not nullable


def _rows(example, golden, n: int = 6) -> pd.DataFrame:
    return golden[example["features"]].head(n).reset_index(drop=True).copy()


def _as_mlflow_client_sends(df: pd.DataFrame, orient: str = "split") -> bytes:
    """The body of mlflow's dump_input_data: the stdlib json module, NaN for a missing value."""
    key = {"split": "dataframe_split", "records": "dataframe_records"}[orient]
    doc = df.to_dict(orient=orient)
    if orient == "split":
        doc.pop("index")
    return json.dumps({key: doc}).encode()


def _with_nulls(body: bytes) -> bytes:
    return json.dumps(json.loads(body, parse_constant=lambda c: None)).encode()


@pytest.mark.parametrize("orient", ["split", "records"])
def test_nan_literal_is_a_missing_value_and_answers_like_null(server, example, golden, orient):
    df = _rows(example, golden)
    df.loc[[1, 4], NULLABLE_NUMBER] = np.nan
    body = _as_mlflow_client_sends(df, orient)
    assert b"NaN" in body
    with server.client() as c:
        r = c.post("/invocations", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text
        same = c.post("/invocations", content=_with_nulls(body), headers={"content-type": "application/json"})
        assert same.status_code == 200, same.text
    assert r.json()["predictions"] == same.json()["predictions"]
    assert len(r.json()["predictions"]) == len(df)


@pytest.mark.parametrize("literal", ["Infinity", "-Infinity"])
def test_an_infinite_number_is_refused_for_its_column(server, example, golden, literal):
    df = _rows(example, golden)
    df[REQUIRED_NUMBER] = df[REQUIRED_NUMBER].astype(float)
    df.loc[2, REQUIRED_NUMBER] = float(literal.replace("Infinity", "inf"))
    body = _as_mlflow_client_sends(df)
    assert literal.encode() in body
    with server.client() as c:
        r = c.post("/invocations", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == REQUIRED_NUMBER and "finite" in r.json()["error"]


def test_nan_in_a_required_column_is_a_missing_value_that_is_not_allowed(server, example, golden):
    df = _rows(example, golden)
    df[REQUIRED_NUMBER] = df[REQUIRED_NUMBER].astype(float)
    df.loc[0, REQUIRED_NUMBER] = np.nan
    with server.client() as c:
        r = c.post("/invocations", content=_as_mlflow_client_sends(df), headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == REQUIRED_NUMBER and "null" in r.json()["error"]


@pytest.mark.parametrize("body", [b'{"dataframe_split": NaNx}', b'{"instances": [Infinit]}', b"[NaN", b"NaN" * 3])
def test_other_bare_words_are_still_malformed_json(server, body):
    with server.client() as c:
        r = c.post("/invocations", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["field"] == "body"


def test_ping_and_version_answer_as_mlflows_scoring_server(server):
    with server.client() as c:
        ping, version = c.get("/ping"), c.get("/version")
    assert ping.status_code == 200 and ping.text == "\n"
    assert version.status_code == 200 and version.text == mlbp.__version__


CLIENT = """
import json, sys
import pandas as pd
from mlflow.pyfunc.scoring_server.client import ScoringServerClient

host, port, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3]
client = ScoringServerClient(host, port)
client.wait_server_ready(timeout=30)
client.ping()
df = pd.read_parquet(rows)
predictions = client.invoke(df).get_predictions().to_dict("records")
print(json.dumps({"version": client.get_version(), "predictions": predictions}))
"""


@pytest.mark.slow
def test_mlflows_own_client_gets_the_answers_null_gets(server, example, golden, tmp_path):
    from tests.peers import run_peer

    df = golden[example["features"]].head(40).reset_index(drop=True).copy()
    df.loc[::3, NULLABLE_NUMBER] = np.nan
    df.loc[1::4, "favourite_daypart"] = None  # a missing category (pandas makes it NaN in the body)
    df.to_parquet(tmp_path / "rows.parquet")
    host, port = server.base.removeprefix("http://").split(":")
    proc = run_peer("mlflow", CLIENT, host, port, str(tmp_path / "rows.parquet"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["version"] == mlbp.__version__
    rows = df.astype(object).where(df.notna(), None).to_dict("records")
    with server.client() as c:
        want = c.post("/invocations", json={"dataframe_records": rows}).json()["predictions"]
    assert len(got["predictions"]) == len(df)
    for mine, theirs in zip(want, got["predictions"], strict=True):
        assert mine["prediction"] == theirs["prediction"]
        assert mine["probability"] == pytest.approx(theirs["probability"], abs=1e-12)
