"""Ten processes registering, approving and promoting at once lose no update and leave a
consistent history, an intact audit chain and aliases that replay from that history."""

from __future__ import annotations

import multiprocessing as mp
from collections import Counter

from mlbp.registry.policy import Policy
from mlbp.registry.store import Registry

WORKERS = 10
ROUNDS = 3
POLICY = {"champion": {"approvals": {"count": 1}, "checks": ["blessed"]}, "*": {"approvals": 0}}


def _worker(url: str, root: str, bundle: str, sha: str, i: int, start, out) -> None:
    reg = Registry(url, root, Policy.from_config(POLICY))
    reg.engine.dispose(close=False)  # SQLAlchemy's rule after fork: never reuse the parent's connections
    start.wait()
    v = reg.register("m", bundle, sha, author=f"author{i}")["version"]
    reg.approve("m", v, "champion", actor=f"reviewer{i}")
    moves = 0
    for _ in range(ROUNDS):
        moves += reg.promote("m", v, "champion", actor=f"author{i}", reason=f"worker {i}")["moved"]
        moves += reg.promote("m", v, f"w{i % 3}", actor=f"author{i}")["moved"]
    out.put((i, v, moves))


def test_ten_processes_register_and_promote_without_losing_an_update(db_url, tmp_path, bundle_factory):
    bundles = [bundle_factory(f"b{i}") for i in range(WORKERS)]
    Registry(db_url, tmp_path / "reg").engine.dispose()  # tables exist; no open connection crosses the fork
    ctx = mp.get_context("fork")  # separate processes, separate connections (see dispose in _worker)
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(db_url, str(tmp_path / "reg"), str(b), sha, i, start, out))
             for i, (b, sha) in enumerate(bundles)]
    for p in procs:
        p.start()
    start.set()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0

    reg = Registry(db_url, tmp_path / "reg")
    versions = sorted(v for _, v, _ in results)
    assert versions == list(range(1, WORKERS + 1))  # every registration got its own number
    assert {v["bundle_sha"] for v in reg.list_versions("m")} == {sha for _, sha in bundles}
    history = reg.history("m")
    # no lost update: every promote call that moved an alias is in the history exactly once
    assert len(history) == sum(m for *_, m in results)
    assert {h["actor"] for h in history if h["alias"] == "champion"} == {f"author{i}" for i in range(WORKERS)}
    kinds = Counter(r["kind"] for r in reg.audit.records())
    assert kinds["register"] == WORKERS and kinds["approve"] == WORKERS
    assert kinds["promote"] == len(history)
    assert reg.verify() == []  # chain intact, every alias equals its replayed history
