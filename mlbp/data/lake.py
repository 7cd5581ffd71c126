"""The local lake: one immutable, hive-partitioned Parquet snapshot per dataset content hash.

    <lake>/<dataset>/snapshot=<sha16>/<partition>=<value>/part-0.parquet
    <lake>/<dataset>/snapshot=<sha16>/_meta.json

A snapshot is written to a temp folder and renamed into place, so it is either whole or absent;
a run can always say exactly which data it saw.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def frame_hash(df: pd.DataFrame) -> str:
    """A content hash of a frame that does not depend on Parquet writer details."""
    import pandas as pd

    h = hashlib.sha256()
    h.update(",".join(f"{c}:{t}" for c, t in df.dtypes.astype(str).items()).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def partition_values(df: pd.DataFrame, column: str | None, by: str) -> pd.Series | None:
    import pandas as pd

    if not column or column not in df.columns:
        return None
    from mlbp.data.sources import utc_times

    ts = df[column] if pd.api.types.is_datetime64_any_dtype(df[column]) else utc_times(df[column])
    fmt = {"month": "%Y-%m", "day": "%Y-%m-%d", "year": "%Y"}.get(by, "%Y-%m")
    return ts.dt.strftime(fmt).fillna("unknown")


def write_snapshot(df: pd.DataFrame, lake: str | Path, dataset: str, partition_column: str | None = None,
                   partition_by: str = "month", meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write (or reuse) the snapshot of df; returns where it is and what it holds."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    digest = frame_hash(df)
    root = Path(lake) / dataset
    final = root / f"snapshot={digest[:16]}"
    info = {"dataset": dataset, "snapshot": digest[:16], "sha256": digest, "rows": len(df),
            "path": str(final), "partition": f"{partition_by}({partition_column})" if partition_column else None,
            "partition_key": partition_by if partition_values(df, partition_column, partition_by) is not None else None,
            **(meta or {})}
    if final.exists():
        return info
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{uuid.uuid4().hex}"
    part = partition_values(df, partition_column, partition_by)
    table_df = df.copy()
    if part is not None:
        table_df[partition_by] = part.to_numpy()
        ds.write_dataset(pa.Table.from_pandas(table_df, preserve_index=False), tmp, format="parquet",
                         partitioning=[partition_by], partitioning_flavor="hive",
                         basename_template="part-{i}.parquet")
    else:
        tmp.mkdir()
        table_df.to_parquet(tmp / "part-0.parquet", index=False)
    (tmp / "_meta.json").write_text(json.dumps(info, indent=2, default=str))
    try:
        os.rename(tmp, final)
    except OSError:  # written concurrently by another run: same content, keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
    return info


def snapshots(lake: str | Path) -> list[dict[str, Any]]:
    """Every snapshot in the lake, newest first."""
    out = []
    for meta in Path(lake).glob("*/snapshot=*/_meta.json"):
        info = json.loads(meta.read_text())
        info["mtime"] = meta.stat().st_mtime
        out.append(info)
    return sorted(out, key=lambda i: -i["mtime"])
