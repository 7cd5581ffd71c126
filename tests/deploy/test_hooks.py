"""The monitoring interfaces: every prediction reaches the sink (shadows flagged, not returned),
feedback reaches the sink and the router, routing is sticky, API keys have scopes."""

from __future__ import annotations

import pytest

from mlbp.deploy.rest.app import ServeOptions, Server
from mlbp.deploy.rest.hooks import RECORD_FIELDS, PredictionSink, Router
from mlbp.deploy.rest.routing import SplitRouter
from mlbp.deploy.rest.variants import Source, Variants
from mlbp.engine.errors import MlbpError

from .conftest import ListSink, running


class CountingRouter(SplitRouter):
    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.rewarded: list[tuple[str, float]] = []

    def reward(self, variant: str, value: float) -> None:
        super().reward(variant, value)
        self.rewarded.append((variant, value))


def test_protocols_are_satisfied():
    assert isinstance(ListSink(), PredictionSink)
    assert isinstance(SplitRouter({"a": 1}), Router)


def test_split_router_is_sticky_and_follows_weights():
    r = SplitRouter({"a": 0.8, "b": 0.2}, shadow=["c"], seed=1)
    assert {r.choose("customer-7")[0] for _ in range(50)} == {r.choose("customer-7")[0]}
    picks = [r.choose(f"k{i}")[0] for i in range(5000)]
    assert 0.75 < picks.count("a") / len(picks) < 0.85
    assert r.choose(None)[1] == ["c"]
    assert r.allocation() == {"a": 0.8, "b": 0.2}
    with pytest.raises(MlbpError):
        SplitRouter({"a": -1})


def test_sink_shadow_feedback_and_router(example, good_row):
    sink = ListSink()
    router = CountingRouter({"champion": 1.0}, shadow=["candidate"])
    variants = Variants({"champion": Source(path=str(example["bundle"])),
                         "candidate": Source(path=str(example["bundle"]))})
    with running(Server(variants, ServeOptions(), sink=sink, router=router)) as s, s.client() as c:
        r = c.post("/predict", json=good_row, headers={"x-routing-key": "customer-1"})
        assert r.status_code == 200
        body = r.json()
        assert body["variant"] == "champion" and len(body["predictions"]) == 1
        rid = r.headers["x-request-id"]
        assert body["request_id"] == rid
        two = c.post("/invocations", json={"dataframe_records": [good_row, good_row]})
        assert len(two.json()["predictions"]) == 2
        fb = c.post("/feedback", json={"request_id": rid, "label": body["predictions"][0]["prediction"]})
        assert fb.status_code == 200 and fb.json() == {"ok": True, "variant": "champion", "reward": 1.0}
        fb2 = c.post("/feedback", json={"request_id": f"{two.headers['x-request-id']}-1", "reward": 2.5})
        assert fb2.status_code == 200
    served = [r for r in sink.records if not r["shadow"]]
    shadow = [r for r in sink.records if r["shadow"]]
    assert len(served) == 3 and len(shadow) == 3
    assert all(set(r) == set(RECORD_FIELDS) for r in sink.records)
    first = served[0]
    assert first["request_id"] == rid and first["variant"] == "champion" and first["version"] == 1
    assert first["inputs"] == good_row and set(first["outputs"]) == {"probability", "prediction"}
    assert {r["variant"] for r in shadow} == {"candidate"}
    assert [f["request_id"] for f in sink.feedback] == [rid, f"{two.headers['x-request-id']}-1"]
    assert sink.feedback[0]["label"] == body["predictions"][0]["prediction"] and sink.feedback[1]["reward"] == 2.5
    assert router.rewarded == [("champion", 1.0), ("champion", 2.5)]
    assert sink.closed == 1


def test_split_between_two_variants(example, good_row):
    variants = Variants({"a": Source(path=str(example["bundle"])), "b": Source(path=str(example["bundle"]))})
    with running(Server(variants, router=SplitRouter({"a": 0.5, "b": 0.5}))) as s, s.client() as c:
        seen = {c.post("/predict", json=good_row, headers={"x-routing-key": f"k{i}"}).json()["variant"]
                for i in range(40)}
        same = {c.post("/predict", json=good_row, headers={"x-routing-key": "k1"}).json()["variant"]
                for _ in range(10)}
        direct = c.post("/v2/models/b/infer", json={"inputs": [
            {"name": k, "shape": [1], "datatype": "BYTES" if isinstance(v, str) else "FP64", "data": [v]}
            for k, v in good_row.items()]}).json()
    assert seen == {"a", "b"} and len(same) == 1 and direct["parameters"]["variant"] == "b"


KEY_P = "predict-key-0123456789"
KEY_A = "admin-key-0123456789ab"


def test_api_key_scopes(example, good_row):
    opts = ServeOptions(api_keys=[{"key": KEY_P, "scopes": ["predict"]},
                                  {"key": KEY_A, "scopes": ["predict", "admin"]}])
    variants = Variants({"default": Source(path=str(example["bundle"]))})
    with running(Server(variants, opts)) as s, s.client() as c:
        assert c.post("/predict", json=good_row).status_code == 401
        assert c.post("/predict", json=good_row, headers={"x-api-key": "wrong-key-0123456789"}).status_code == 401
        assert c.post("/predict", json=good_row, headers={"authorization": f"Bearer {KEY_P}"}).status_code == 200
        assert c.post("/predict", json=good_row, headers={"x-api-key": KEY_A}).status_code == 200
        assert c.get("/metrics", headers={"x-api-key": KEY_P}).status_code == 403
        assert c.get("/metrics", headers={"x-api-key": KEY_A}).status_code == 200
        assert c.post("/admin/reload", headers={"x-api-key": KEY_P}).status_code == 403
        assert c.post("/admin/reload", headers={"x-api-key": KEY_A}).status_code == 200
        assert c.get("/v2/health/ready").status_code == 200  # probes stay open
        r = c.post("/invocations", json={"dataframe_records": [good_row]})
        assert r.status_code == 401 and r.json()["field"] == "api_key"
    with pytest.raises(MlbpError):
        ServeOptions and Server(variants, ServeOptions(api_keys=[{"key": "short", "scopes": ["predict"]}]))
