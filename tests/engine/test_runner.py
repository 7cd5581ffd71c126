"""The runner: cache hits and misses, resume after a failure, atomic writes, the manifest."""

from __future__ import annotations

import json

import pytest

from mlbp.engine.errors import StageFailed
from mlbp.engine.graph import Graph, Node
from mlbp.engine.runner import Runner
from mlbp.engine.store import ArtifactStore
from tests.engine.stages import Double, Source, Sum


def build(data_path, calls, factor=2, fail_times=0):
    stages = [("source", Source(str(data_path), calls)), ("double", Double(factor, calls, fail_times)),
              ("sum", Sum(calls))]
    nodes = []
    for name, st in stages:
        cfg = {"path": str(data_path)} if name == "source" else {"factor": factor} if name == "double" else {}
        nodes.append(Node(name=name, stage=st, needs={s: s for s in st.needs}, makes={s: s for s in st.makes},
                          config=cfg))
    return Graph(nodes)


@pytest.fixture
def data(tmp_path):
    p = tmp_path / "numbers.txt"
    p.write_text("1 2 3")
    return p


def run(tmp_path, graph, name="run"):
    store = ArtifactStore(tmp_path / "store")
    return Runner(graph, store, tmp_path / name).run(), store


def total(store, manifest):
    return (store.object_path(manifest.artifacts()["total"]) / "total.txt").read_text()


def test_second_run_is_all_cache_hits(tmp_path, data):
    calls = []
    m1, store = run(tmp_path, build(data, calls), "r1")
    assert calls == ["source", "double", "sum"] and total(store, m1) == "12"
    calls.clear()
    m2, _ = run(tmp_path, build(data, calls), "r2")
    assert calls == []
    assert all(rec.cache_hit for rec in m2.stages.values())
    assert m2.artifacts() == m1.artifacts()


def test_config_change_reruns_the_stage_and_what_follows(tmp_path, data):
    run(tmp_path, build(data, []), "r1")
    calls = []
    m, store = run(tmp_path, build(data, calls, factor=3), "r2")
    assert calls == ["double", "sum"]
    assert total(store, m) == "18"


def test_input_data_change_reruns_downstream(tmp_path, data):
    run(tmp_path, build(data, []), "r1")
    data.write_text("1 2 3 4")
    calls = []
    m, store = run(tmp_path, build(data, calls), "r2")
    assert calls == ["source", "double", "sum"]
    assert total(store, m) == "20"


def test_same_output_content_keeps_downstream_cached(tmp_path, data):
    """A stage that re-runs but makes identical bytes does not invalidate what follows."""
    run(tmp_path, build(data, []), "r1")
    data.write_text("1 2 3")  # rewritten, same content; source config unchanged -> cache hit anyway
    calls = []
    run(tmp_path, build(data, calls), "r2")
    assert calls == []


def test_failure_stops_the_run_and_a_rerun_resumes(tmp_path, data):
    calls = []
    with pytest.raises(StageFailed) as err:
        run(tmp_path, build(data, calls, fail_times=1), "r1")
    assert err.value.stage == "double"
    assert "disk full" in str(err.value)
    assert err.value.key == "pipeline.stages.double"
    manifest = json.loads((tmp_path / "r1" / "run.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["stages"]["double"]["status"] == "failed"
    assert manifest["stages"]["double"]["error"]["type"] == "RuntimeError"
    assert manifest["stages"]["sum"]["status"] == "pending"

    calls.clear()
    m, store = run(tmp_path, build(data, calls), "r2")
    assert calls == ["double", "sum"]  # source was finished: a cache hit
    assert m.stages["source"].cache_hit and total(store, m) == "12"


def test_interrupted_write_leaves_no_artifact(tmp_path, data):
    with pytest.raises(StageFailed):
        run(tmp_path, build(data, [], fail_times=1), "r1")
    store = tmp_path / "store"
    assert list((store / "tmp").iterdir()) == []  # the half-written folder is gone
    objects = {p.name for p in (store / "objects").iterdir()}
    records = [json.loads(p.read_text()) for p in (store / "stages").glob("*.json")]
    assert [r["stage"] for r in records] == ["source"]  # no record for the failed stage
    for r in records:
        assert set(r["outputs"].values()) <= objects
    # no object anywhere holds part1 without part2
    for obj in (store / "objects").iterdir():
        assert not ((obj / "part1.txt").exists() and not (obj / "part2.txt").exists())


def test_a_record_whose_object_vanished_is_a_miss(tmp_path, data):
    import shutil

    m1, store = run(tmp_path, build(data, []), "r1")
    shutil.rmtree(store.object_path(m1.artifacts()["doubled"]))
    calls = []
    run(tmp_path, build(data, calls), "r2")
    assert calls == ["double"]  # sum's input hash is unchanged, so sum is still cached


def test_manifest_records_lineage(tmp_path, data):
    m, _ = run(tmp_path, build(data, []), "r1")
    d = json.loads((tmp_path / "r1" / "run.json").read_text())
    assert list(d["stages"]) == ["source", "double", "sum"]
    double = d["stages"]["double"]
    assert double["inputs"] == {"numbers": m.artifacts()["numbers"]}
    assert double["outputs"] == {"doubled": m.artifacts()["doubled"]}
    assert double["config"] == {"factor": 2} and double["facts"] == {"count": 3}
    assert len(double["fingerprint"]) == 64 and double["seconds"] >= 0


def test_a_stage_a_sibling_is_computing_is_passed_over_while_other_work_is_ready(tmp_path, data):
    """Two sweep jobs share a store: while another process holds a stage's lock, the runner does
    other ready work first, then waits, then takes the sibling's result (or computes it)."""
    import fcntl
    import threading
    import time

    from mlbp.engine.fingerprint import fingerprint
    from mlbp.engine.runner import target_name
    from tests.engine.stages import Count

    def graph(calls):
        g = build(data, calls)
        count = Count(calls)
        nodes = [*g.nodes.values(), Node(name="count", stage=count, needs={"numbers": "numbers"},
                                          makes={"count": "count"})]
        return Graph(nodes)

    first, store = run(tmp_path, graph([]), "r0")  # fills the store; then a new config for double
    g = graph(calls := [])
    double = g.nodes["double"]
    double.config = {"factor": 2, "changed": True}
    g.nodes["count"].config = {"changed": True}
    fp = fingerprint(target_name(double), double.config, {"numbers": first.artifacts()["numbers"]})
    lock_path = store.root / "locks" / f"{fp}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as held:  # "another process" is computing double
        fcntl.flock(held, fcntl.LOCK_EX)
        t = threading.Thread(target=lambda: Runner(g, store, tmp_path / "r1").run())
        t.start()
        deadline = time.time() + 20
        while "count" not in calls and time.time() < deadline:
            time.sleep(0.02)
        assert calls == ["count"]  # did the independent work instead of waiting for double
        fcntl.flock(held, fcntl.LOCK_UN)
    t.join(timeout=30)
    assert calls == ["count", "double"]  # sum: same doubled bytes as before, so a cache hit
    manifest = json.loads((tmp_path / "r1" / "run.json").read_text())
    assert list(manifest["stages"]) == ["source", "double", "sum", "count"]  # the record keeps graph order


def test_a_stage_error_names_its_key_and_fix_once():
    """The console printed "contract.columns: stage 'validate' failed: contract.columns: ... Fix: X.
    Fix: X": the cause's key and fix came twice. One line names each once, expected/got kept."""
    from mlbp.engine.errors import MlbpError, StageFailed

    cause = MlbpError("1 column-level failure", key="contract.columns", fix="fix the source", expected="int",
                      got="str")
    text = str(StageFailed("validate", cause))
    assert text == "contract.columns: stage 'validate' failed: 1 column-level failure (expected int, got str). " \
                   "Fix: fix the source"
    assert str(StageFailed("train", ValueError("boom"))).count("Fix:") == 1
