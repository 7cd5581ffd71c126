"""Rows refused one by one: what the server predicts when some rows of a request cannot be
scored (a category the model never saw, under `unknown_category=reject`), and how the answer
keeps every row in its place (docs/deploy.md, "Unseen categories, row by row")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlbp.deploy.runtime.signature import InputError


@dataclass
class Answer:
    """One request's answer: outputs for every row (placeholders where refused) and the refusals."""

    rid: str
    variant: str
    model: Any
    out: dict[str, np.ndarray]
    rejected: dict[int, InputError] = field(default_factory=dict)


def kept_rows(cols: dict[str, list[Any]], rejected: dict[int, Any], n: int
              ) -> tuple[list[int] | None, dict[str, list[Any]], int]:
    """(positions of the rows to predict, their columns, the request's row count); positions are
    None when every row is refused."""
    rows = [i for i in range(n) if i not in rejected]
    if not rows:
        return None, cols, n
    return rows, {c: [v[i] for i in rows] for c, v in cols.items()}, n


def spread(out: dict[str, np.ndarray], rows: list[int], n: int) -> dict[str, np.ndarray]:
    """Outputs of the predicted rows -> arrays of the request's length. A refused row holds a
    placeholder of the array's type (NaN, 0, false, ""): V2 tensors are dense; its error says it."""
    full = {}
    for k, v in out.items():
        arr = np.asarray(v)
        fill: Any = {"f": np.nan, "i": 0, "u": 0, "b": False}.get(arr.dtype.kind, "")
        dtype = arr.dtype if arr.dtype.kind in "fiub" else object
        whole = np.full(n, fill, dtype=dtype)
        whole[rows] = arr
        full[k] = whole
    return full

