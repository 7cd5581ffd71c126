"""The batch plan: Parquet inputs are cut into row-group pieces that workers read themselves
(only a reference is pickled), covering every row once, in order, with hive partition values."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlbp.deploy.batch.plan import Piece, plan
from mlbp.deploy.batch.source import open_dataset


def _file(path, sizes):
    """One Parquet file whose row groups have the given sizes; column `i` numbers the rows."""
    start, writer = 0, None
    for n in sizes:
        t = pa.table({"i": np.arange(start, start + n), "city": pa.array(["a", "b"] * (n // 2) + ["a"] * (n % 2))})
        writer = writer or pq.ParquetWriter(path, t.schema)
        writer.write_table(t, row_group_size=n)
        start += n
    writer.close()
    return start


def test_pieces_cover_every_row_once_in_order_and_pickle_as_references(tmp_path):
    total = _file(tmp_path / "x.parquet", [30_000, 1_000, 1_000, 1_000, 250_000, 5_000])
    chunks = list(plan(open_dataset(tmp_path / "x.parquet", dictionary_columns=["city"]), chunk_rows=20_000))
    assert [i for i, _, _ in chunks] == list(range(len(chunks)))
    assert all(isinstance(p, Piece) for _, _, p in chunks)
    # small row groups share a piece (up to half a chunk); a big one is a piece of its own
    assert [p.rows for _, _, p in chunks] == [30_000, 3_000, 250_000, 5_000]
    seen = []
    for _, offset, piece in chunks:
        blob = pickle.dumps(piece)
        assert len(blob) < 20_000  # a path and row-group ids, not the rows
        batches = list(pickle.loads(blob).batches(20_000))
        assert all(b.num_rows <= 20_000 for b in batches)  # a big row group is still streamed in chunks
        ids = np.concatenate([b.column("i").to_numpy() for b in batches])
        assert ids[0] == offset and len(ids) == piece.rows
        assert pa.types.is_dictionary(batches[0].schema.field("city").type)  # read as Parquet stores it
        seen.append(ids)
    assert np.array_equal(np.concatenate(seen), np.arange(total))


def test_hive_partition_values_reach_the_worker(tmp_path):
    df = pd.DataFrame({"i": np.arange(1_000), "month": ["2026-01"] * 400 + ["2026-02"] * 600})
    df.to_parquet(tmp_path / "parts", partition_cols=["month"], row_group_size=250)
    chunks = list(plan(open_dataset(tmp_path / "parts"), chunk_rows=1_000))
    got = pa.concat_tables(pa.Table.from_batches(list(pickle.loads(pickle.dumps(p)).batches(1_000)))
                           for _, _, p in chunks).to_pandas()
    assert sorted(zip(got["i"], got["month"].astype(str), strict=True)) == sorted(zip(df["i"], df["month"],
                                                                                      strict=True))
    rows = [p.rows for _, _, p in chunks]
    assert sum(rows) == 1_000 and len(chunks) >= 2  # one file per month at least
    assert [o for _, o, _ in chunks] == [sum(rows[:k]) for k in range(len(rows))]


def test_text_input_is_read_by_the_driver(tmp_path):
    (tmp_path / "x.csv").write_text("i\n" + "\n".join(map(str, range(50))) + "\n")
    chunks = list(plan(open_dataset(tmp_path / "x.csv"), chunk_rows=20))
    assert not any(isinstance(p, Piece) for _, _, p in chunks)
    assert sum(p.num_rows for _, _, p in chunks) == 50
    assert open_dataset(tmp_path / "x.csv").format is None  # read through mlbp.io.text_table
