"""The V2 binary tensor extension (tritonclient's default, binary_data=True): inputs read from the
bytes after the JSON header, outputs written there when asked, the same answers as JSON tensors.
Bodies are built here byte by byte as the extension defines them; the slow test drives
tritonclient itself from its own virtualenv (tests/peers.py)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pandas as pd
import pytest

from tests.peers import TRITON_INPUTS

MODEL = "restaurant-offers"


def _columns(example, golden, n=8):
    df = golden[example["features"]].head(n).reset_index(drop=True)
    sig = example["manifest"]["signature"]
    return df, sig


def _tensor_bytes(values, datatype):
    if datatype == "BYTES":
        return b"".join(struct.pack("<I", len(v.encode())) + v.encode() for v in values)
    return np.asarray(values, dtype={"FP64": "<f8", "INT64": "<i8"}[datatype]).tobytes()


def binary_request(df, sig, binary_output: bool, missing_as_nan: bool = True) -> tuple[bytes, dict]:
    """(body, headers) with every input as binary data: numbers FP64 (NaN = missing), categories BYTES."""
    inputs, chunks = [], []
    for c in df.columns:
        if c in sig["categorical"]:
            values, dtype = [str(v) for v in df[c]], "BYTES"
        else:
            values, dtype = df[c].astype(float).to_numpy(), "FP64"
        raw = _tensor_bytes(values, dtype)
        chunks.append(raw)
        inputs.append({"name": c, "shape": [len(df)], "datatype": dtype, "parameters": {"binary_data_size": len(raw)}})
    doc = {"inputs": inputs}
    if binary_output:
        doc["parameters"] = {"binary_data_output": True}
    head = json.dumps(doc).encode()
    return head + b"".join(chunks), {"Inference-Header-Content-Length": str(len(head))}


def json_request(df, sig) -> dict:
    def value(v):
        return None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)
    return {"inputs": [{"name": c, "shape": [len(df)], "datatype": "BYTES" if c in sig["categorical"] else "FP64",
                        "data": [value(v) for v in df[c].tolist()]} for c in df.columns]}


def read_binary_response(r) -> dict[str, list]:
    n = int(r.headers["inference-header-content-length"])
    head, blob = json.loads(r.content[:n]), r.content[n:]
    out, offset = {}, 0
    for o in head["outputs"]:
        size = o["parameters"]["binary_data_size"]
        raw = blob[offset:offset + size]
        if o["datatype"] == "BYTES":  # each element: a 4-byte little-endian length, then the bytes
            items, at = [], 0
            while at < len(raw):
                (k,) = struct.unpack_from("<I", raw, at)
                items.append(raw[at + 4:at + 4 + k].decode())
                at += 4 + k
            out[o["name"]] = items
        else:
            out[o["name"]] = np.frombuffer(raw, dtype={"FP64": "<f8", "INT64": "<i8"}[o["datatype"]]).tolist()
        offset += size
    assert offset == len(blob)
    return out


@pytest.fixture
def rows(example, golden):
    df, sig = _columns(example, golden)
    df = df.copy()
    df.loc[[2, 5], "avg_ticket"] = np.nan  # nullable: NaN in a binary FP64 tensor is a missing value
    return df, sig


@pytest.mark.parametrize("path", [f"/v2/models/{MODEL}/infer", f"/v2/models/{MODEL}/versions/1/infer"])
def test_binary_inputs_and_outputs_answer_as_json_tensors(server, rows, path):
    df, sig = rows
    with server.client() as c:
        want = c.post(path, json=json_request(df, sig))
        assert want.status_code == 200, want.text
        body, headers = binary_request(df, sig, binary_output=False)
        json_out = c.post(path, content=body, headers=headers)
        body, headers = binary_request(df, sig, binary_output=True)
        binary_out = c.post(path, content=body, headers=headers)
    assert json_out.status_code == 200, json_out.text
    assert json_out.json()["outputs"] == want.json()["outputs"]
    assert binary_out.status_code == 200, binary_out.text
    assert binary_out.headers["content-type"] == "application/octet-stream"
    got = read_binary_response(binary_out)
    assert got == {o["name"]: o["data"] for o in want.json()["outputs"]}


def test_requested_outputs_in_their_order_each_binary_or_not(server, rows):
    df, sig = rows
    body, headers = binary_request(df, sig, binary_output=False)
    n = int(headers["Inference-Header-Content-Length"])
    doc = json.loads(body[:n])
    doc["outputs"] = [{"name": "probability", "parameters": {"binary_data": True}}, {"name": "prediction"}]
    head = json.dumps(doc).encode()
    with server.client() as c:
        r = c.post(f"/v2/models/{MODEL}/infer", content=head + body[n:],
                   headers={"Inference-Header-Content-Length": str(len(head))})
        unknown = json.loads(body[:n]) | {"outputs": [{"name": "shap_values"}]}
        head2 = json.dumps(unknown).encode()
        bad = c.post(f"/v2/models/{MODEL}/infer", content=head2 + body[n:],
                     headers={"Inference-Header-Content-Length": str(len(head2))})
    assert r.status_code == 200, r.text
    k = int(r.headers["inference-header-content-length"])
    outs = json.loads(r.content[:k])["outputs"]
    assert [o["name"] for o in outs] == ["probability", "prediction"]
    assert "data" not in outs[0] and len(outs[1]["data"]) == len(df)
    assert len(r.content) - k == outs[0]["parameters"]["binary_data_size"] == 8 * len(df)
    assert bad.status_code == 400 and bad.json()["field"] == "outputs"


def test_malformed_binary_bodies_are_400s_naming_the_part(server, rows):
    df, sig = rows
    body, headers = binary_request(df, sig, binary_output=False)
    n = int(headers["Inference-Header-Content-Length"])
    cases = {
        "header longer than body": (body, {"Inference-Header-Content-Length": str(len(body) + 1)},
                                    "Inference-Header-Content-Length"),
        "header not a number": (body, {"Inference-Header-Content-Length": "ten"}, "Inference-Header-Content-Length"),
        "tensors cut short": (body[:-3], headers, None),
        "bytes left over": (body + b"\0\0", headers, "body"),
        "no binary at all": (body[:n], headers, None),
    }
    with server.client() as c:
        for name, (content, hdrs, field) in cases.items():
            r = c.post(f"/v2/models/{MODEL}/infer", content=content, headers=hdrs)
            assert r.status_code == 400, (name, r.status_code, r.text)
            if field:
                assert r.json()["field"] == field, (name, r.json())


TRITON = TRITON_INPUTS + """
import sys
url, model, rows_file = sys.argv[1], sys.argv[2], sys.argv[3]
spec = json.load(open(rows_file))
client = http.InferenceServerClient(url=url)
assert client.is_server_live() and client.is_server_ready()
assert client.is_model_ready(model) and client.is_model_ready(model, model_version="1")
meta = client.get_model_metadata(model, model_version="1")

results = {}
for label, kw in {"versioned": {"model_version": "1"}, "latest": {},
                  "json outputs": {"outputs": [http.InferRequestedOutput("probability", binary_data=False),
                                               http.InferRequestedOutput("prediction", binary_data=True)]}}.items():
    r = client.infer(model, binary_inputs(spec), **kw)
    results[label] = {"probability": r.as_numpy("probability").tolist(),
                      "prediction": r.as_numpy("prediction").tolist(),
                      "model_version": r.get_response()["model_version"]}
print(json.dumps({"versions": meta["versions"], "results": results}))
"""


@pytest.mark.slow
def test_tritonclient_with_binary_tensors_and_a_model_version(server, rows, tmp_path):
    from tests.peers import run_peer, tensor_spec

    df, sig = rows
    tensor_spec(df, sig["categorical"], tmp_path / "rows.json")
    with server.client() as c:
        want = {o["name"]: o["data"] for o in c.post(f"/v2/models/{MODEL}/infer",
                                                   json=json_request(df, sig)).json()["outputs"]}
    proc = run_peer("tritonclient", TRITON, server.base.removeprefix("http://"), MODEL, str(tmp_path / "rows.json"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["versions"] == ["1"]
    for label, res in got["results"].items():
        assert res["model_version"] == "1", label
        assert res["prediction"] == want["prediction"], label
        assert res["probability"] == pytest.approx(want["probability"], abs=1e-12), label
