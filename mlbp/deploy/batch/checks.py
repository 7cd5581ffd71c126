"""The signature rules of `InputChecker`, vectorised over an Arrow record batch for the batch
scorer: no pandas object columns (they cost more than the prediction), one reason per failing
row, and the features already in the form the compiled model encodes from.

Numeric columns come back as float64 arrays (NaN = missing); categorical columns as `Codes`: the
column's distinct strings and one index per row into them (-1 = missing; an unknown category keeps
its string under `unknown_category=score`, for the model's category policy). That is how Parquet
stores a low-cardinality string column already, so when the reader hands over dictionary arrays
no string is materialised or hashed per row; a plain string column is dictionary-encoded once,
and checking and encoding share that pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlbp.deploy.runtime.signature import InputChecker


@dataclass
class Codes:
    values: list[Any]   # the distinct strings (a None entry never indexed: missing is -1)
    index: np.ndarray   # int64 per row into `values`, -1 = missing

    def strings(self, rows: np.ndarray) -> Any:
        """The selected rows as an Arrow string array (the pipeline fallback builds pandas from it)."""
        import pyarrow as pa

        idx = self.index[rows]
        return pa.array(self.values + [None], pa.string()).take(pa.array(np.where(idx < 0, len(self.values), idx)))


@dataclass
class CheckedBatch:
    valid: np.ndarray                   # bool per row
    reasons: np.ndarray                 # object per row: None or the first reason it failed
    numeric: dict[str, np.ndarray]      # float64, NaN = missing
    categorical: dict[str, Codes]

    def fail(self, mask: np.ndarray, text: str) -> None:
        mask = np.asarray(mask, dtype=bool) & self.valid
        self.reasons[mask] = text
        self.valid &= ~mask


def _array(col: Any) -> Any:
    import pyarrow as pa

    if isinstance(col, pa.ChunkedArray):
        if col.num_chunks == 1:
            return col.chunk(0)
        if pa.types.is_dictionary(col.type):  # chunks may carry different dictionaries
            col = col.cast(col.type.value_type)
        col = col.combine_chunks()
    return col


def _plain(col: Any) -> Any:
    import pyarrow as pa

    col = _array(col)
    return col.dictionary_decode() if pa.types.is_dictionary(col.type) else col


def check_batch(batch: Any, checker: InputChecker) -> CheckedBatch:
    n = batch.num_rows
    out = CheckedBatch(np.ones(n, dtype=bool), np.full(n, None, dtype=object), {}, {})
    names = set(batch.schema.names)
    for c in checker.features:
        spec = checker.specs[c]
        if c not in names:
            out.fail(np.ones(n, dtype=bool), f"{c}: missing column")
            out.numeric[c] = np.full(n, np.nan)
            out.categorical[c] = Codes([], np.full(n, -1, dtype=np.int64))
            continue
        if spec["kind"] == "numeric":
            col = _plain(batch.column(c))
            present = (np.ones(n, dtype=bool) if col.null_count == 0
                       else np.asarray(col.is_valid().to_numpy(zero_copy_only=False), dtype=bool))
            vals = _numbers(col, n, c, present, out, boolean=spec.get("dtype") == "bool")
            if spec.get("dtype") == "int":
                finite = np.isfinite(vals)
                out.fail(present & finite & (np.mod(np.where(finite, vals, 0), 1) != 0), f"{c}: expected an integer")
            with np.errstate(invalid="ignore"):
                if spec.get("min") is not None:
                    out.fail(vals < spec["min"], f"{c}: below min {spec['min']}")
                if spec.get("max") is not None:
                    out.fail(vals > spec["max"], f"{c}: above max {spec['max']}")
            if not spec.get("nullable", True):
                out.fail(~present, f"{c}: null is not allowed")
            out.numeric[c] = vals
        else:
            codes = _codes(batch.column(c), n, c, out, checker.empty_is_missing)
            present = codes.index >= 0
            allowed = checker.allowed[c]
            if allowed and codes.values:
                known = np.fromiter((v in allowed for v in codes.values), dtype=bool, count=len(codes.values))
                if not known.all():
                    unknown = present & ~np.append(known, True)[codes.index]
                    if checker.unknown_category == "reject":
                        out.fail(unknown, f"{c}: unknown category")
                    # under `score` the value stays: the model's category policy answers it
            if not spec.get("nullable", True):
                out.fail(~present, f"{c}: null is not allowed")
            out.categorical[c] = codes
    return out


def _numbers(col: Any, n: int, c: str, present: np.ndarray, out: CheckedBatch, boolean: bool = False) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if pa.types.is_boolean(t):  # a boolean feature is a 0/1 number (see mlbp.stacks.features)
        return np.where(present, pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), np.nan)
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        vals = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
        if col.null_count:
            vals = np.where(present, vals, np.nan)
        out.fail(present & np.isinf(vals), f"{c}: expected a finite number")
        return vals
    if pa.types.is_null(t):
        return np.full(n, np.nan)
    if (pa.types.is_string(t) or pa.types.is_large_string(t)) and boolean:  # CSV: True/false/yes/0 text
        from mlbp.contracts.coerce import FALSE, TRUE

        encoded = pc.dictionary_encode(col)
        words = [None if v is None else v.strip().lower() for v in encoded.dictionary.to_pylist()]
        table = np.array([1.0 if w in TRUE else 0.0 if w in FALSE else np.nan for w in words] + [np.nan])
        vals = table[encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)]
        out.fail(present & np.isnan(vals), f"{c}: expected true or false")
        return vals
    if pa.types.is_string(t) or pa.types.is_large_string(t):  # CSV: text that must parse as a number
        import pandas as pd

        vals = pd.to_numeric(pd.Series(col.to_numpy(zero_copy_only=False), dtype=object), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan)
        out.fail(present & np.isnan(vals), f"{c}: expected a number")
        out.fail(present & np.isinf(vals), f"{c}: expected a finite number")
        return vals
    out.fail(present, f"{c}: expected a number, got {t}")
    return np.full(n, np.nan)


def _codes(col: Any, n: int, c: str, out: CheckedBatch, empty_is_missing: bool = False) -> Codes:
    """A categorical column as (distinct strings, index per row); anything but text fails its rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = _array(col)
    t = col.type
    if pa.types.is_null(t):
        return Codes([], np.full(n, -1, dtype=np.int64))
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        col = pc.dictionary_encode(col)
        t = col.type
    if not (pa.types.is_dictionary(t) and (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type))):
        out.fail(np.asarray(col.is_valid().to_numpy(zero_copy_only=False), dtype=bool), f"{c}: expected a string")
        return Codes([], np.full(n, -1, dtype=np.int64))
    values = col.dictionary.to_pylist()
    index = col.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    blank = [v is None or (empty_is_missing and not v.strip()) for v in values]
    if any(blank):  # a null dictionary entry (or, by the contract's rule, blank text) is a missing value
        nulls = np.array([*blank, True])
        index[nulls[index]] = -1
    return Codes(values, index)
