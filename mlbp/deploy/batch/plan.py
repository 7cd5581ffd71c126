"""How a batch job is cut into chunks, and who reads them.

Parquet inputs (a file, a hive-partitioned folder, a lake snapshot) are planned from their
footers: each chunk is a *reference* — some row groups of one file, with its partition values —
that the worker reads itself. Nothing but that reference is pickled to a process or shipped to a
Dask worker, so the driver is not a bottleneck and a cluster reads from shared storage, as
`dask.dataframe.read_parquet` does. A worker streams its row groups in batches of `chunk_rows`,
so memory stays bounded even when one row group is large. Text inputs have no footer to plan
from: the driver reads them and hands over the batches.

Chunks are numbered in input order and the row offset of each is known before any is scored, so
every engine writes the same files with the same row keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Piece:
    """Row groups of one Parquet file, read by whichever worker scores them."""

    fragment: Any  # a pyarrow ParquetFileFragment narrowed to its row groups (pickles as a path + ids)
    schema: Any    # the dataset's schema: partition columns are filled in from the file's path
    rows: int

    def batches(self, chunk_rows: int) -> Iterator[Any]:
        for batch in self.fragment.to_batches(schema=self.schema, batch_size=chunk_rows, batch_readahead=1):
            if batch.num_rows:
                yield batch


def plan(dataset: Any, chunk_rows: int) -> Iterator[tuple[int, int, Any]]:
    """(chunk index, offset of its first row in the input, a Piece or a record batch)."""
    import pyarrow.dataset as ds

    if not isinstance(dataset.format, ds.ParquetFileFormat):
        yield from _read_here(dataset, chunk_rows)
        return
    # a piece holds row groups up to half a chunk: the tail of a job (the last piece running while
    # the other workers idle) stays short, yet tiny row groups are not shipped one task each. The
    # plan depends on the data and chunk_rows only, never on the number of workers.
    limit = max(1, chunk_rows // 2)
    index = offset = 0
    for fragment in dataset.get_fragments():
        fragment.ensure_complete_metadata()
        group: list[int] = []
        rows = 0
        for rg in fragment.row_groups:
            if group and rows + rg.num_rows > limit:
                yield index, offset, Piece(fragment.subset(row_group_ids=group), dataset.schema, rows)
                index, offset, group, rows = index + 1, offset + rows, [], 0
            group.append(rg.id)
            rows += rg.num_rows
        if group:
            yield index, offset, Piece(fragment.subset(row_group_ids=group), dataset.schema, rows)
            index, offset = index + 1, offset + rows


def _read_here(dataset: Any, chunk_rows: int) -> Iterator[tuple[int, int, Any]]:
    offset = 0
    # pyarrow reads ahead 16 batches x 4 files by default: bound it, memory is the point here
    for i, batch in enumerate(dataset.to_batches(batch_size=chunk_rows, batch_readahead=2, fragment_readahead=1)):
        yield i, offset, batch
        offset += batch.num_rows
