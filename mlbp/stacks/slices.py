"""Metrics per value of configured segment columns, with the worst slice flagged.

A model that is good on average can fail a region or a channel; the scorecard shows each slice's
primary metric and which one is worst, so blessing can require a floor (`worst_slice`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlbp.stacks.metrics import metrics_for


def slice_metrics(df: pd.DataFrame, y: np.ndarray, scores: np.ndarray, task: str, columns: list[str],
                  primary: str, higher_is_better: bool, min_rows: int = 50) -> dict[str, Any]:
    """{"slices": [...], "worst": {...} | None}; slices smaller than `min_rows` are listed but not ranked."""
    out: list[dict[str, Any]] = []
    for col in columns:
        if col not in df.columns:
            out.append({"column": col, "value": None, "rows": 0, "note": "column not in the holdout"})
            continue
        values = df[col].astype(object).where(df[col].notna(), "(missing)").astype(str).to_numpy()
        for value in sorted(set(values)):
            mask = values == value
            n = int(mask.sum())
            row: dict[str, Any] = {"column": col, "value": value, "rows": n}
            if n >= min_rows and (task == "regression" or len(np.unique(y[mask])) > 1):
                m = metrics_for(task, y[mask], scores[mask])
                row[primary] = m.get(primary)
                row["ranked"] = True
            else:
                row[primary] = None
                row["ranked"] = False
            out.append(row)
    ranked = [r for r in out if r.get("ranked") and r[primary] is not None and not np.isnan(r[primary])]
    worst = None
    if ranked:
        worst = (min if higher_is_better else max)(ranked, key=lambda r: r[primary])
        worst = {"column": worst["column"], "value": worst["value"], primary: worst[primary], "rows": worst["rows"]}
        for r in out:
            r["worst"] = r["column"] == worst["column"] and r["value"] == worst["value"]
    return {"columns": columns, "min_rows": min_rows, "metric": primary, "slices": out, "worst": worst}
