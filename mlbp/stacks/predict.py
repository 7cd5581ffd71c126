"""How a fitted stack turns rows into outputs: one function shared by evaluation, packaging,
the batch scorer and the server, so every hand-off computes the same numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlbp.data.labels import Labels
from mlbp.stacks.features import to_model_frame

if TYPE_CHECKING:
    import pandas as pd


def predict_frame(model: Any, info: dict[str, Any], df: pd.DataFrame, threshold: float | None = None) -> pd.DataFrame:
    """`info` is the model's (or bundle signature's) task, numeric and categorical lists."""
    import numpy as np
    import pandas as pd

    X = to_model_frame(df, info["numeric"], info["categorical"])
    task = info["task"]
    if task == "regression":
        return pd.DataFrame({"prediction": np.asarray(model.predict(X), dtype=float)}, index=df.index)
    proba = np.asarray(model.predict_proba(X), dtype=float)
    labels = Labels.from_info(info)  # answers in the user's own labels
    if task == "binary":
        t = 0.5 if threshold is None else threshold
        return pd.DataFrame({"probability": proba[:, 1], "prediction": labels.decode(proba[:, 1] >= t)},
                            index=df.index)
    out = pd.DataFrame({f"probability_{c}": proba[:, i] for i, c in enumerate(labels.classes)}, index=df.index)
    out["prediction"] = labels.decode(proba.argmax(axis=1))
    return out
