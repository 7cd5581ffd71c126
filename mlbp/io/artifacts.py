"""Artifact folder conventions: `data.parquet` for a frame, `<name>.json` for facts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


FRAME_FILE = "data.parquet"


def write_frame(df: pd.DataFrame, folder: Path, name: str = FRAME_FILE) -> Path:
    """Write deterministically (no pandas index metadata drift) so equal data hashes equal."""
    path = Path(folder) / name
    df.to_parquet(path, index=False, compression="zstd")
    return path


def read_frame(folder: Path, name: str = FRAME_FILE, columns: list[str] | None = None) -> pd.DataFrame:
    import pandas as pd

    return pd.read_parquet(Path(folder) / name, columns=columns)


def write_json(payload: Any, folder: Path, name: str) -> Path:
    path = Path(folder) / name
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=_default))
    return path


def read_json(folder: Path, name: str) -> Any:
    return json.loads((Path(folder) / name).read_text())


def _default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)
