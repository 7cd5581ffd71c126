"""Where batch input comes from: a CSV file, a Parquet file, a (hive-)partitioned Parquet folder,
or a lake dataset (`lake:<dataset>` = its newest snapshot, `lake:<dataset>@<snapshot>`), all read
as a pyarrow dataset so scoring streams record batches with bounded memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlbp.engine.errors import MlbpError, Reason

__all__ = ["TextInput", "open_dataset"]


def open_dataset(spec: str | Path, lake: str | Path | None = None, dictionary_columns: Any = ()) -> Any:
    """`dictionary_columns`: Parquet string columns to read as dictionary arrays (no string per row)."""
    import pyarrow.dataset as ds

    parquet = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=list(dictionary_columns)))
    text = str(spec)
    if text.startswith("lake:"):
        if lake is None:
            raise MlbpError("a lake dataset needs the lake folder", key="paths.lake", got=text)
        name, _, snap = text[5:].partition("@")
        root = Path(lake) / name
        snaps = sorted(root.glob("snapshot=*"), key=lambda p: p.stat().st_mtime) if root.is_dir() else []
        if snap:
            snaps = [p for p in snaps if p.name == f"snapshot={snap}"]
        if not snaps:
            raise MlbpError(f"no lake dataset '{text[5:]}' under {lake}", reason=Reason.SOURCE, key="score.input",
                            expected=sorted(p.name for p in Path(lake).glob("*")) if Path(lake).is_dir() else [],
                            got=text, fix="run `mlbp` (ingest) first, or name a file")
        return ds.dataset(snaps[-1], format=parquet, partitioning="hive")
    path = Path(text)
    if not path.exists():
        raise MlbpError(f"batch input {path} does not exist", reason=Reason.SOURCE, key="score.input",
                        expected="a .csv or .parquet file, a Parquet folder, or lake:<dataset>", got=text)
    if path.is_dir():
        return ds.dataset(path, format=parquet, partitioning="hive")
    if path.suffix.lower() in (".parquet", ".pq"):
        return ds.dataset(path, format=parquet)
    if path.suffix.lower() in TEXT_SUFFIXES or "".join(path.suffixes[-2:]).lower() in (".csv.gz", ".tsv.gz"):
        return TextInput(path)
    raise MlbpError(f"cannot read {path}", reason=Reason.SOURCE, key="score.input",
                    expected=".csv (.tsv, .txt, .gz), .parquet, a Parquet folder or lake:<dataset>", got=path.suffix)


TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".psv")


class TextInput:
    """A delimited text file as the scorer reads it, through mlbp.io.text_table (the layer ingest
    uses): sniffed and checked before anything is scored, read by the driver in batches, every
    column as text (a malformed number is a quarantined row, not a crashed read). A line that
    cannot be split into the header's columns is kept in `rejected` with its line number."""

    format = None  # not Parquet: the plan reads it here and hands batches to the workers

    def __init__(self, path: Path) -> None:
        import pyarrow as pa

        from mlbp.io.text_table import TextTable

        self.text = TextTable(path, what="batch input", key="score.input")
        self.files = [str(path)]
        self.schema = pa.schema([(n, pa.string()) for n in self.text.header])

    def to_batches(self, batch_size: int = 65_536, **_: Any) -> Any:
        return self.text.batches(batch_rows=batch_size)

    @property
    def rejected(self) -> list[Any]:
        return self.text.rejected
