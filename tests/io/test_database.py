"""Processes that open a fresh database at the same moment all get their tables (a parallel
sweep's jobs do exactly this with the catalog): on SQLite, and on PostgreSQL when CI runs one."""

from __future__ import annotations

import multiprocessing as mp
import os
import uuid

import pytest
import sqlalchemy as sa


def _tables(prefix: str) -> sa.MetaData:
    md = sa.MetaData()
    for i in range(12):
        sa.Table(f"{prefix}{i}", md, sa.Column("id", sa.Integer, primary_key=True))
    return md


def _open(url: str, prefix: str, barrier) -> int:  # noqa: ANN001 - a multiprocessing barrier
    from mlbp.io.database import engine_for

    md = _tables(prefix)
    barrier.wait()
    eng = engine_for(url, md)
    with eng.connect() as conn:
        return sum(name.startswith(prefix) for name in sa.inspect(conn).get_table_names())


def _race(url: str, prefix: str) -> list[int]:
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(4)
        with ctx.Pool(4) as pool:
            return pool.starmap(_open, [(url, prefix, barrier)] * 4)


def test_concurrent_first_opens_all_succeed_on_sqlite(tmp_path):
    for round_ in range(3):  # a race: several fresh databases make a lucky pass unlikely
        assert _race(f"sqlite:///{tmp_path}/db{round_}.sqlite", "t") == [12] * 4


def test_concurrent_first_opens_all_succeed_on_postgresql():
    url = os.environ.get("MLBP_TEST_PG_URL")
    if not url:
        pytest.skip("MLBP_TEST_PG_URL is not set (CI starts PostgreSQL in .ci/services.sh)")
    prefix = f"race_{uuid.uuid4().hex[:8]}_"
    try:
        assert _race(url, prefix) == [12] * 4
    finally:
        eng = sa.create_engine(url)
        _tables(prefix).drop_all(eng)
        eng.dispose()
