"""What "reproduces the golden predictions" means, in one place: the bundle's own check at load
time and the smoke server check after deploying both ask these functions, so they can never
disagree about a tolerance or about which rows the server refuses."""

from __future__ import annotations

from typing import Any

import numpy as np

# Probabilities and numbers may differ from the pipeline's by this much (relative and absolute):
# the compiled serving paths apply a scaler as a*x+b, which is not bit-identical to (x-m)/s.
TOLERANCE = 1e-12


def output_difference(name: str, got: Any, want: Any) -> str | None:
    """None when `got` equals `want` (labels exactly, floats within TOLERANCE), else what differs."""
    want = np.asarray(want)
    if want.dtype.kind == "f":
        try:
            g = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return f"{name}: not numbers"
        w = want.astype(float)
        if g.shape != w.shape:
            return f"{name}: {g.shape[0] if g.ndim else 0} values, expected {w.shape[0]}"
        if np.array_equal(g, w, equal_nan=True) or np.allclose(g, w, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True):
            return None
        return f"{name}: max difference {float(np.nanmax(np.abs(g - w))):g}"
    if np.array_equal(np.asarray(got, dtype=object), want.astype(object)):
        return None
    return f"{name}: differs"


def golden_columns(golden: Any, features: list[str]) -> dict[str, list[Any]]:
    """The golden inputs as the server receives them: {column: [python values, None for missing]}."""
    return {c: [None if _isna(v) else _py(v) for v in golden[c].tolist()] for c in features}


def refused_rows(golden: Any, signature: dict[str, Any], unknown_category: str) -> list[bool]:
    """Which golden rows a server with this policy refuses: the serving input checker's own decision
    (the holdout's newest rows may hold levels training never saw)."""
    from mlbp.deploy.runtime.signature import InputChecker

    checker = InputChecker(signature, unknown_category=unknown_category)
    rejected = checker.columns(golden_columns(golden, checker.features), len(golden)).rejected
    return [i in rejected for i in range(len(golden))]


def _isna(v: Any) -> bool:
    import pandas as pd

    return v is None or (not isinstance(v, list | dict | str) and bool(pd.isna(v)))


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v
