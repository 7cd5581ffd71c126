"""The ingest stage: read a source, snapshot it into the lake, hand the rows on as `raw`.

Lines a source could not parse (a CSV row with too many fields) are not dropped: the source
keeps them in `rejected`, ingest writes them beside the rows as `unparsed.parquet`, and the
validate stage quarantines them, so rows in = accepted + quarantined still holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from mlbp.contracts.validate import UNPARSED_FILE
from mlbp.data.lake import write_snapshot
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import write_frame, write_json


class Ingest(Stage):
    """Reads `source` into the lake under `lake`, partitioned by `partition_by` of `partition_column`."""

    makes: ClassVar[tuple[str, ...]] = ("raw",)

    def __init__(self, source: Any, lake: str, partition_column: str | None = None,
                 partition_by: str = "month") -> None:
        self.source = source
        self.lake = lake
        self.partition_column = partition_column
        self.partition_by = partition_by

    def external_state(self) -> Any:
        """A source's own fingerprint if it has one, else the size and mtime of every file under
        its path, so an edited file re-ingests while an untouched one stays a cache hit."""
        return source_state(self.source)

    def run(self, ctx: StageContext) -> None:
        df, as_text = storable(self.source.read())
        rejected = getattr(self.source, "rejected", None)
        n_unparsed = 0 if rejected is None else len(rejected)
        info = write_snapshot(df, self.lake, self.source.name, self.partition_column, self.partition_by,
                              meta={"source": self.source.describe(), "unparsed_lines": n_unparsed})
        out = ctx.output("raw")
        write_frame(df, out)
        if n_unparsed:
            write_frame(rejected, out, UNPARSED_FILE)
        write_json(info, out, "meta.json")
        if as_text:
            info["kept_as_text"] = as_text
        ctx.note(rows=len(df), snapshot=info["snapshot"], unparsed=n_unparsed, **({"as_text": as_text} if as_text
                                                                                 else {}))


def storable(df: Any) -> tuple[Any, list[str]]:
    """The frame with every column Parquet can hold, and the columns kept as text to get there.

    A CSV column with one value past the int64 range (`99999999999999999999`) or with values of
    several types reaches pandas as Python objects that Arrow refuses ("int too large to convert",
    naming no column). Such a column is kept as the text of each value, nothing lost; the
    contract then types it value by value and quarantines the rows that do not fit, naming the
    column (mlbp.contracts.coerce)."""
    import pandas as pd

    as_text = []
    for col in df.columns:
        s = df[col]
        if not pd.api.types.is_object_dtype(s):
            continue
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind in ("integer", "mixed", "mixed-integer", "mixed-integer-float", "decimal", "complex"):
            if not as_text:
                df = df.copy()
            df[col] = s.map(lambda v: v if v is None or (isinstance(v, float) and v != v) else str(v))
            as_text.append(str(col))
    return df, as_text


def source_state(source: Any) -> Any:
    own = getattr(source, "fingerprint", None)
    if callable(own):
        return own()
    path = getattr(source, "path", None)
    return path_state(Path(path)) if path else None


def path_state(path: Path) -> list[tuple[str, int, int]] | None:
    if not path.exists():
        return None  # reading will fail with a clear error naming the source
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return [(f.as_posix(), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
