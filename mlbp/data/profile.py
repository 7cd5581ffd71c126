"""Per-column profiles, computed once and vectorized; reused by the catalog, the bundle and drift.

Numeric columns keep a quantile sketch (`quantiles` at evenly spaced probabilities) and a
histogram over fixed edges, which is enough to compute Wasserstein distance, PSI and KS-style
statistics against new data without the raw reference rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


N_QUANTILES = 1001  # probabilities 0, 0.001, ..., 1
N_BINS = 50
TOP_CATEGORIES = 1000
MAX_LEVEL_HASHES = 200_000  # an exact set of levels up to this many distinct values (8 bytes each)
TAIL_POINTS = 101  # finer quantiles over the outer 0.1% on each side, where the 1001-point sketch is coarsest
LOW_CARDINALITY = 20  # numeric columns with at most this many distinct values also keep value counts


def level_hashes(values: Any) -> np.ndarray:
    """Sorted distinct 64-bit hashes of the values as text: an exact membership set for "was
    this category in the reference?" (pandas' hash_array with its fixed key: the same on every
    run and machine; a collision among 200,000 levels has odds of about 1e-9)."""
    import numpy as np
    import pandas as pd

    return np.unique(hash_values(pd.Series(values, dtype=object).dropna()))


def hash_values(values: Any) -> np.ndarray:
    """The 64-bit hash of each value as text (the one hash `level_hashes` keeps)."""
    import numpy as np
    import pandas as pd

    text = pd.Series(values, dtype=object).astype(str).to_numpy(dtype=object)
    return pd.util.hash_array(text, categorize=True) if len(text) else np.array([], dtype=np.uint64)


def encode_hashes(hashes: np.ndarray) -> str:
    import base64

    import numpy as np

    return base64.b64encode(np.asarray(hashes, dtype="<u8").tobytes()).decode()


def decode_hashes(text: str) -> np.ndarray:
    import base64

    import numpy as np

    return np.frombuffer(base64.b64decode(text), dtype="<u8")


def profile_column(s: pd.Series, exact_levels: bool = False) -> dict[str, Any]:
    """`exact_levels`: a categorical column also keeps the hash of every level (up to
    MAX_LEVEL_HASHES), so drift counts unseen values exactly however many levels there are."""
    import numpy as np
    import pandas as pd

    n = len(s)
    nulls = int(s.isna().sum())
    out: dict[str, Any] = {"dtype": str(s.dtype), "count": n, "null_share": round(nulls / n, 6) if n else 0.0}
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        if pd.api.types.is_datetime64_any_dtype(s):
            v = s.dropna()
            out |= {"kind": "datetime", "min": v.min().isoformat() if len(v) else None,
                    "max": v.max().isoformat() if len(v) else None}
            return out
        codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        order = np.argsort(-counts, kind="stable")[:TOP_CATEGORIES]
        top = {str(uniques[i]): int(counts[i]) for i in order}
        out |= {"kind": "categorical", "distinct": len(uniques), "counts": top,
                "other_count": int(counts.sum() - sum(top.values()))}  # rows whose level is not in `counts`
        if exact_levels and len(uniques) <= MAX_LEVEL_HASHES:
            out["level_hashes"] = encode_hashes(level_hashes(uniques))
        return out
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    v = v[~np.isnan(v)]
    out["kind"] = "numeric"
    if len(v) == 0:
        return out
    probs = np.linspace(0, 1, N_QUANTILES)
    qs = np.quantile(v, probs)
    lo, hi = float(v.min()), float(v.max())
    edges = np.unique(np.quantile(v, np.linspace(0, 1, N_BINS + 1)))
    if len(edges) < 2:
        edges = np.array([lo, hi + 1e-9])
    hist, _ = np.histogram(v, bins=edges)
    uniq, ucounts = np.unique(v, return_counts=True) if len(v) <= 2_000_000 else (None, None)
    out |= {"min": lo, "max": hi, "mean": float(v.mean()), "std": float(v.std()),
            "distinct": int(len(uniq)) if uniq is not None else None,
            "quantiles": qs.round(10).tolist(), "hist_edges": edges.tolist(), "hist_counts": hist.tolist(),
            "p05": float(qs[50]), "p50": float(qs[500]), "p95": float(qs[950])}
    tail = np.linspace(0, 0.001, TAIL_POINTS)
    out["tail_quantiles"] = {"low": np.quantile(v, tail).round(10).tolist(),
                             "high": np.quantile(v, 1 - tail[::-1]).round(10).tolist()}
    if uniq is not None and len(uniq) <= LOW_CARDINALITY:  # drift treats these as categories
        out["values"] = {str(float(u)): int(c) for u, c in zip(uniq, ucounts, strict=True)}
    return out


def profile_frame(df: pd.DataFrame, columns: list[str] | None = None, exact_levels: bool = False) -> dict[str, Any]:
    cols = columns or list(df.columns)
    return {"rows": len(df), "columns": {c: profile_column(df[c], exact_levels) for c in cols}}


def summary(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """A short row per column for tables in reports and `mlbp catalog show`."""
    rows = []
    for name, p in profile["columns"].items():
        row = {"column": name, "kind": p.get("kind"), "dtype": p.get("dtype"), "null_share": p.get("null_share"),
               "distinct": p.get("distinct")}
        if p.get("kind") == "numeric":
            row |= {"min": p.get("min"), "p50": p.get("p50"), "max": p.get("max")}
        elif p.get("kind") == "categorical":
            row["top"] = ", ".join(list(p.get("counts", {}))[:3])
        rows.append(row)
    return rows
