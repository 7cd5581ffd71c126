"""The train stage: build the stack from its spec, fit it on the training window, save it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from mlbp.data.labels import Labels
from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import read_frame, write_json
from mlbp.stacks.build import TASKS, build_pipeline, thread_limit
from mlbp.stacks.features import feature_columns, to_model_frame

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TASKS", "Train", "build_pipeline", "fit_stack"]


def fit_stack(stack: dict[str, Any], df: pd.DataFrame, target: str, task: str, exclude: list[str], seed: int,
              positive: Any = None) -> tuple[Any, dict[str, Any]]:
    """Fit on `df`; class labels of any type are encoded once here (see mlbp.data.labels) and the
    encoding is kept in the returned info, which the bundle carries."""
    if target not in df.columns:
        raise MlbpError(f"target '{target}' is not in the training data", reason=Reason.CONFIG, key="target",
                        expected=list(df.columns), got=target)
    if task not in TASKS:
        raise MlbpError("unknown task", key="task", expected=" | ".join(TASKS), got=task)
    numeric, categorical = feature_columns(df, target, exclude)
    X = to_model_frame(df, numeric, categorical)
    labels = Labels.learn(df[target], task, positive, where=target) if task != "regression" else None
    y = labels.encode(df[target], target) if labels else df[target].to_numpy(dtype=float)
    pipe = build_pipeline(stack, numeric, categorical, seed, task)
    t0 = time.perf_counter()
    with thread_limit(stack):
        pipe.fit(X, y)
    info = {
        "stack": stack.get("name", "stack"),
        "task": task,
        "target": target,
        "numeric": numeric,
        "categorical": categorical,
        "categories": {c: sorted(map(str, X[c].dropna().unique())) for c in categorical},
        "classes": labels.classes if labels else None,  # the user's labels, in code order
        "labels": labels.to_dict() if labels else None,
        "train_rows": len(df),
        "train_seconds": round(time.perf_counter() - t0, 3),
        "seed": seed,
        "threads": stack.get("threads"),  # scorers should cap OpenMP threads the same way
    }
    return pipe, info


class Train(Stage):
    """Fits `stack` on `train`; makes `model` (model.joblib + model.json)."""

    needs: ClassVar[tuple[str, ...]] = ("train",)
    makes: ClassVar[tuple[str, ...]] = ("model",)
    build_later: ClassVar[tuple[str, ...]] = ("stack",)

    def __init__(self, stack: dict[str, Any], target: str, task: str = "binary",
                 exclude: list[str] | None = None, seed: int = 0, positive: Any = None) -> None:
        self.stack = stack
        self.positive = positive
        self.target = target
        self.task = task
        self.exclude = exclude or []
        self.seed = seed

    def run(self, ctx: StageContext) -> None:
        import joblib

        df = read_frame(ctx.input("train"))
        pipe, info = fit_stack(self.stack, df, self.target, self.task, self.exclude, self.seed, self.positive)
        out = ctx.output("model")
        joblib.dump(pipe, out / "model.joblib")
        # the fit time is a measurement, not part of the model: it goes to the run manifest, so the
        # same data and config give the same artifact hash (evaluate reads it from there)
        write_json({k: v for k, v in info.items() if k != "train_seconds"}, out, "model.json")
        ctx.note(stack=info["stack"], rows=info["train_rows"], seconds=info["train_seconds"],
                 **({"positive": info["labels"]["positive"]} if self.task == "binary" else {}))
