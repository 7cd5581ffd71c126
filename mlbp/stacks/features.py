"""Which columns are model inputs: everything but the target, keys, timestamps and excluded ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def feature_columns(df: pd.DataFrame, target: str, exclude: list[str] | None = None) -> tuple[list[str], list[str]]:
    """(numeric, categorical) feature names, in frame order."""
    import pandas as pd

    skip = {target, *(exclude or [])}
    numeric, categorical = [], []
    for col in df.columns:
        if col in skip or pd.api.types.is_datetime64_any_dtype(df[col]):
            continue
        if pd.api.types.is_bool_dtype(df[col]) or pd.api.types.is_numeric_dtype(df[col]):
            numeric.append(col)  # booleans are 0/1 numbers to every estimator
        else:
            categorical.append(col)
    return numeric, categorical


def to_model_frame(df: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """Numeric columns as float64 (nullable ints become NaN), categoricals as object strings with
    NaN for missing: one representation, whatever the reader (None from JSON, NaN from Parquet,
    pd.NA from nullable strings)."""
    import numpy as np
    import pandas as pd

    out = pd.DataFrame(index=df.index)
    for c in numeric:
        col = df[c]
        if pd.api.types.is_bool_dtype(col) or col.dtype == object and col.map(type).eq(bool).all():
            out[c] = col.astype("Float64").to_numpy(dtype="float64", na_value=float("nan"))
        else:
            out[c] = pd.to_numeric(col, errors="coerce").astype("float64")
    for c in categorical:
        col = df[c].astype(object)
        out[c] = col.mask(col.isna(), np.nan)
    return out
