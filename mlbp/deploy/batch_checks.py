"""The signature rules of `InputChecker`, vectorised over an Arrow record batch for the batch
scorer: no pandas object columns (they cost more than the prediction), one reason per failing
row, and the features already in the form the compiled model encodes from.

Numeric columns come back as float64 arrays (NaN = missing); categorical columns as Arrow string
arrays (an unknown category is null when `unknown_category=missing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlbp.deploy.signature import InputChecker


@dataclass
class CheckedBatch:
    valid: np.ndarray                   # bool per row
    reasons: np.ndarray                 # object per row: None or the first reason it failed
    numeric: dict[str, np.ndarray]      # float64, NaN = missing
    categorical: dict[str, Any]         # pyarrow string arrays

    def fail(self, mask: np.ndarray, text: str) -> None:
        mask = np.asarray(mask, dtype=bool) & self.valid
        self.reasons[mask] = text
        self.valid &= ~mask


def _plain(col: Any) -> Any:
    import pyarrow as pa

    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    return col


def check_batch(batch: Any, checker: InputChecker) -> CheckedBatch:
    import pyarrow as pa
    import pyarrow.compute as pc

    n = batch.num_rows
    out = CheckedBatch(np.ones(n, dtype=bool), np.full(n, None, dtype=object), {}, {})
    names = set(batch.schema.names)
    for c in checker.features:
        spec = checker.specs[c]
        if c not in names:
            out.fail(np.ones(n, dtype=bool), f"{c}: missing column")
            out.numeric[c] = np.full(n, np.nan)
            out.categorical[c] = pa.nulls(n, pa.string())
            continue
        col = _plain(batch.column(c))
        present = np.asarray(col.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        if spec["kind"] == "numeric":
            vals = _numbers(col, n, c, present, out)
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
            if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
                if pa.types.is_null(col.type):
                    col = pa.nulls(n, pa.string())
                else:
                    out.fail(present, f"{c}: expected a string")
                    col = pa.nulls(n, pa.string())
            allowed = checker.allowed[c]
            if allowed:
                known = np.asarray(pc.is_in(col, value_set=pa.array(sorted(allowed), pa.string()))
                                   .fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
                unknown = present & ~known
                if unknown.any():
                    if checker.unknown_category == "error":
                        out.fail(unknown, f"{c}: unknown category")
                    else:
                        col = pc.if_else(pa.array(unknown), pa.scalar(None, pa.string()), col)
            if not spec.get("nullable", True):
                out.fail(~present, f"{c}: null is not allowed")
            out.categorical[c] = col
    return out


def _numbers(col: Any, n: int, c: str, present: np.ndarray, out: CheckedBatch) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if pa.types.is_boolean(t):  # a boolean feature is a 0/1 number (see mlbp.stacks.features)
        return np.where(present, pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), np.nan)
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        vals = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
        vals = np.where(present, vals, np.nan)
        out.fail(present & np.isinf(vals), f"{c}: expected a finite number")
        return vals
    if pa.types.is_null(t):
        return np.full(n, np.nan)
    if pa.types.is_string(t) or pa.types.is_large_string(t):  # CSV: text that must parse as a number
        import pandas as pd

        vals = pd.to_numeric(pd.Series(col.to_numpy(zero_copy_only=False), dtype=object), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan)
        out.fail(present & np.isnan(vals), f"{c}: expected a number")
        out.fail(present & np.isinf(vals), f"{c}: expected a finite number")
        return vals
    out.fail(present, f"{c}: expected a number, got {t}")
    return np.full(n, np.nan)
