"""Per-row type coercion, before the contract's checks: a text column the contract declares as
int, float, bool or datetime (or a float column it declares int) is parsed value by value, and
a value that is not of that type fails *its row* (column, expected type, value), never the
whole column.

pandera coerces a column as one: `"True"`/`"False"` text fails `boolean` for every row, and a
value past the int64 range raises out of the coercion with no column named. A CSV column holding
one bad value arrives as text, so these are the cases real files hit. A column where most values
fail is still a column-level failure (the contract or the file is wrong), decided by the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE = frozenset({"false", "f", "no", "n", "0", "0.0"})
INT64 = (-(2**63), 2**63 - 1)
EXPECTED = {"int": "an integer", "float": "a number", "bool": "true or false", "datetime": "a date"}


def coerce_text_columns(df: pd.DataFrame, columns: dict[str, dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(frame with those columns parsed, failure cases [row, column, check, value]); a failing
    value is missing in the returned frame and its row is named in the cases. The frame's index
    is its row number (the caller resets it)."""
    import pandas as pd

    out = df.copy()
    cases = []
    for col, spec in columns.items():
        dtype = (spec or {}).get("dtype", "str")
        if col not in df.columns or dtype not in EXPECTED:
            continue
        if not (_is_text(df[col]) or (dtype == "int" and pd.api.types.is_float_dtype(df[col]))):
            continue  # already of its type (or a case pandera's own coercion answers per row)
        parsed, bad = PARSERS[dtype](df[col])
        out[col] = parsed
        if bad.any():
            values = df[col][bad]
            why = pd.Series(f"coerce_dtype('{dtype}'): expected {EXPECTED[dtype]}", index=values.index)
            if dtype == "int":  # a whole number past int64 is not "not an integer": say what it is
                num = pd.to_numeric(values, errors="coerce")
                why[num.notna() & (num.abs() >= 2**63)] = "coerce_dtype('int'): beyond the int64 range"
            cases.append(pd.DataFrame({"row": values.index.to_numpy(dtype="int64"), "column": col,
                                       "check": why.to_numpy(),
                                       "value": values.astype(str).str.slice(0, 200).to_numpy()}))
    frame = (pd.concat(cases, ignore_index=True) if cases
             else pd.DataFrame({"row": pd.array([], dtype="int64"), "column": [], "check": [], "value": []}))
    return out, frame


def _is_text(s: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s))


def _present(s: pd.Series) -> pd.Series:
    return s.notna() & s.astype(str).str.strip().ne("")


def _int(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    import numpy as np
    import pandas as pd

    present = _present(s)
    num = pd.to_numeric(s.where(present), errors="coerce")
    whole = num.notna() & np.isfinite(num) & (num == np.round(num))
    big = whole & (num.abs() >= 2**53)  # beyond float precision: read the text exactly
    exact = pd.Series(pd.NA, index=s.index, dtype=object)
    ok = whole & ~big
    exact[ok] = num[ok].astype("int64").astype(object)
    for i in s.index[big]:
        try:
            v = int(str(s[i]).strip().split(".")[0])
        except ValueError:
            v = None
        if v is not None and INT64[0] <= v <= INT64[1]:
            exact[i] = v
            ok[i] = True
    return pd.array(exact.where(ok, None).to_numpy(), dtype="Int64"), present & ~ok


def _float(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    import pandas as pd

    present = _present(s)
    num = pd.to_numeric(s.where(present), errors="coerce").astype("float64")
    return num, present & num.isna()


def _bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    import pandas as pd

    present = _present(s)
    text = s.astype(str).str.strip().str.lower()
    yes, no = text.isin(TRUE), text.isin(FALSE)
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[present & yes] = True
    out[present & no] = False
    return out, present & ~(yes | no)


def _datetime(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    from mlbp.contracts.times import utc_times

    present = _present(s)
    parsed = utc_times(s.where(present))
    return parsed, present & parsed.isna()


PARSERS = {"int": _int, "float": _float, "bool": _bool, "datetime": _datetime}
