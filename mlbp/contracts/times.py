"""Dates written as text, read one way everywhere: sources, the contract's datetime type, the
lake's partitions and `mlbp init`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def utc_times(s: pd.Series) -> pd.Series:
    """Dates written as text, in any common format and with or without a zone, as naive UTC
    timestamps (mixed offsets, e.g. across a daylight-saving change, are one time line)."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.tz_convert("UTC").dt.tz_localize(None) if s.dt.tz is not None else s
    iso = pd.to_datetime(s, errors="coerce", format="ISO8601", utc=True)  # vectorised: the common case
    rest = s.notna() & iso.isna()
    if rest.any():  # other formats parse value by value: once per distinct text, not per row
        codes, uniques = pd.factorize(s[rest])
        parsed = pd.to_datetime(pd.Series(uniques, dtype=object), errors="coerce", format="mixed", utc=True)
        iso[rest] = parsed.to_numpy()[codes]
    return iso.dt.tz_localize(None)
