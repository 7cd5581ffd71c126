"""Open Inference Protocol V2 by version (`/v2/models/{name}/versions/{v}/...`, which tritonclient
sends whenever a model_version is given), and one numeric rule on every protocol: an integer
column takes an int or a float with no fraction (JSON has one number type), never 2.5."""

from __future__ import annotations

import pytest

MODEL = "restaurant-offers"
INT_COLUMN = "days_since_last_visit"  # int in the example's contract, 0..3650


@pytest.fixture
def row(good_row):
    return dict(good_row)


@pytest.fixture
def v2_body(example):
    """row -> a V2 request with one tensor per column, typed by the signature (INT64 for the int column)."""
    numeric = set(example["manifest"]["signature"]["numeric"])

    def body(row: dict) -> dict:
        def tensor(name, value):
            if name not in numeric:
                return {"name": name, "shape": [1], "datatype": "BYTES", "data": [value]}
            dtype = "INT64" if isinstance(value, int) or name == INT_COLUMN else "FP64"
            return {"name": name, "shape": [1], "datatype": dtype, "data": [value]}
        return {"inputs": [tensor(k, v) for k, v in row.items()], "parameters": {"content_type": "pd"}}
    return body


def test_versioned_infer_answers_as_the_unversioned_route(server, row, v2_body):
    with server.client() as c:
        plain = c.post(f"/v2/models/{MODEL}/infer", json=v2_body(row))
        versioned = c.post(f"/v2/models/{MODEL}/versions/1/infer", json=v2_body(row))
        by_variant = c.post("/v2/models/default/versions/1/infer", json=v2_body(row))
    assert plain.status_code == versioned.status_code == by_variant.status_code == 200, versioned.text
    assert versioned.json()["model_version"] == "1"
    assert versioned.json()["outputs"] == plain.json()["outputs"] == by_variant.json()["outputs"]


def test_a_version_not_served_is_a_404_naming_what_is(server, row, v2_body):
    with server.client() as c:
        r = c.post(f"/v2/models/{MODEL}/versions/7/infer", json=v2_body(row))
        meta, ready = c.get(f"/v2/models/{MODEL}/versions/7"), c.get(f"/v2/models/{MODEL}/versions/7/ready")
        other = c.post("/v2/models/someone-else/versions/1/infer", json=v2_body(row))
    assert r.status_code == meta.status_code == ready.status_code == 404
    assert r.json()["field"] == "version" and "serving versions ['1']" in r.json()["error"]
    assert other.status_code == 404 and other.json()["field"] == "name"


def test_versioned_metadata_and_readiness(server):
    with server.client() as c:
        meta, ready = c.get(f"/v2/models/{MODEL}/versions/1"), c.get(f"/v2/models/{MODEL}/versions/1/ready")
        plain = c.get(f"/v2/models/{MODEL}")
    assert meta.status_code == ready.status_code == 200
    assert meta.json() == plain.json() and meta.json()["versions"] == ["1"]
    assert ready.json() == {"name": MODEL, "version": "1", "ready": True}


def test_one_integer_rule_on_every_protocol(server, row, v2_body):
    """3500.0 in an integer column is 3500 on every protocol; 2.5 is refused on every protocol."""
    for value, status in ((3500.0, 200), (3500, 200), (2.5, 422)):
        r = {**row, INT_COLUMN: value}
        with server.client() as c:
            answers = {
                "invocations": c.post("/invocations", json={"dataframe_records": [r]}),
                "predict": c.post("/predict", json=r),
                "v2": c.post(f"/v2/models/{MODEL}/infer", json=v2_body(r)),
                "v2 versioned": c.post(f"/v2/models/{MODEL}/versions/1/infer", json=v2_body(r)),
            }
        got = {k: a.status_code for k, a in answers.items()}
        assert set(got.values()) == {status}, (value, got, {k: a.text[:200] for k, a in answers.items()})
        if status == 422:
            assert {a.json()["field"] for a in answers.values()} == {INT_COLUMN}
        else:
            probs = {k: (a.json()["predictions"][0]["probability"] if "predictions" in a.json() else
                         next(o["data"][0] for o in a.json()["outputs"] if o["name"] == "probability"))
                     for k, a in answers.items()}
            assert len(set(probs.values())) == 1, probs
