"""Registry writes under contention: ten processes promoting at once vs one process alone.

Every write takes the registry's write lock (SQLite BEGIN IMMEDIATE, PostgreSQL advisory lock),
so concurrent writers cannot beat a single writer; the limit this chases is losing nothing to
contention: ratio = concurrent throughput / single-process throughput, ideally ~1.0 (lock
hand-off costs little), and every move must be in the history with an intact audit chain.

    .venv/bin/python bench/registry_concurrency.py            # SQLite
    MLBP_TEST_PG_URL=postgresql+psycopg://... .venv/bin/python bench/registry_concurrency.py
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

from mlbp.registry.bundle import write_manifest
from mlbp.registry.policy import Policy
from mlbp.registry.store import Registry

PROCS, MOVES = 10, 40


def _bundle(root: Path, i: int) -> tuple[str, str]:
    folder = root / "bundles" / str(i)
    folder.mkdir(parents=True)
    (folder / "model.joblib").write_bytes(f"m{i}".encode())
    write_manifest(folder, {"name": "m", "scorecard": {"blessed": True}})
    return str(folder), hashlib.sha256(f"m{i}".encode()).hexdigest()


def _work(url: str, root: str, i: int, moves: int, start) -> None:
    reg = Registry(url, root, Policy())
    reg.engine.dispose(close=False)
    start.wait()
    for k in range(moves):
        reg.set_alias("m", "champion", 1 + (i + k) % PROCS, actor=f"w{i}")


def run(reg: Registry, url: str, root: Path, procs: int, moves: int) -> float:
    reg.engine.dispose()  # no open connection may cross the fork
    ctx = mp.get_context("fork")
    start = ctx.Event()
    ps = [ctx.Process(target=_work, args=(url, str(root / "reg"), i, moves, start)) for i in range(procs)]
    for p in ps:
        p.start()
    time.sleep(0.5)
    t0 = time.perf_counter()
    start.set()
    for p in ps:
        p.join()
        assert p.exitcode == 0
    return procs * moves / (time.perf_counter() - t0)


def _reset(reg: Registry, create: bool = True) -> None:
    """Empty registry and audit tables in the PostgreSQL test database (the bench owns no other)."""
    from mlbp.governance.audit import metadata as audit_md
    from mlbp.registry.db import metadata

    for md in (metadata, audit_md):
        md.drop_all(reg.engine)
        if create:
            md.create_all(reg.engine)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = os.environ.get("MLBP_TEST_PG_URL") or f"sqlite:///{root / 'bench.db'}"
        reg = Registry(url, root / "reg", Policy())
        if "postgresql" in url:
            _reset(reg)
        for i in range(PROCS):
            b, sha = _bundle(root, i)
            reg.register("m", b, sha, author="bench")
        before = len(reg.history("m"))
        serial = run(reg, url, root, 1, MOVES * 2)
        concurrent = run(reg, url, root, PROCS, MOVES)
        moves = len(reg.history("m")) - before
        problems = reg.verify()
        kind = url.split(":")[0]
        print(f"{kind}: single process {serial:.0f} alias moves/s; {PROCS} processes {concurrent:.0f} moves/s; "
              f"ratio {concurrent / serial:.2f} (limit 1.0); {moves} moves recorded of {MOVES * 2 + PROCS * MOVES}; "
              f"verify: {'intact' if not problems else problems[:3]}")
        if "postgresql" in url:
            _reset(reg, create=False)
        return 0 if not problems and moves == MOVES * 2 + PROCS * MOVES else 1


if __name__ == "__main__":
    sys.exit(main())
