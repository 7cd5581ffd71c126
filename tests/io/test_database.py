"""Processes that open a fresh database at the same moment all get their tables (a parallel
sweep's jobs do exactly this with the catalog)."""

from __future__ import annotations

import multiprocessing as mp

import sqlalchemy as sa


def _open(url: str, barrier) -> str:  # noqa: ANN001 - a multiprocessing barrier
    from mlbp.io.database import engine_for

    md = sa.MetaData()
    for i in range(12):
        sa.Table(f"t{i}", md, sa.Column("id", sa.Integer, primary_key=True))
    barrier.wait()
    eng = engine_for(url, md)
    with eng.connect() as conn:
        return ",".join(sorted(sa.inspect(conn).get_table_names()))


def test_concurrent_first_opens_all_succeed(tmp_path):
    ctx = mp.get_context("spawn")
    for round_ in range(3):  # a race: several fresh databases make a miss unlikely to hide it
        url = f"sqlite:///{tmp_path}/db{round_}.sqlite"
        with ctx.Manager() as manager:
            barrier = manager.Barrier(4)
            with ctx.Pool(4) as pool:
                tables = pool.starmap(_open, [(url, barrier)] * 4)
        assert len(set(tables)) == 1 and tables[0].count(",") == 11
