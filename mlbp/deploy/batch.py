"""The batch-score stage: score a dataset with a bundle; rows out + rows quarantined = rows in."""

from __future__ import annotations

import time
from typing import ClassVar

import pandas as pd

from mlbp.engine.stage import Stage, StageContext
from mlbp.io import write_frame, write_json
from mlbp.registry.bundle import load
from mlbp.stacks.predict import predict_frame


def score_frame(bundle, df: pd.DataFrame, id_column: str | None) -> pd.DataFrame:
    m = bundle.manifest
    preds = predict_frame(bundle.model, m["signature"], df, m.get("threshold"))
    out = pd.DataFrame(index=df.index)
    if id_column and id_column in df.columns:
        out[id_column] = df[id_column].to_numpy()
    out = out.join(preds)
    out["model"] = m.get("name")
    out["model_version"] = m.get("version")
    out["scored_at"] = pd.Timestamp.now(tz="UTC")
    return out


class BatchScore(Stage):
    """Scores `data` (default: the holdout) with `bundle`; makes `scores`."""

    needs: ClassVar[tuple[str, ...]] = ("bundle", "data")
    makes: ClassVar[tuple[str, ...]] = ("scores",)

    def __init__(self, id_column: str | None = None) -> None:
        self.id_column = id_column

    def run(self, ctx: StageContext) -> None:
        bundle = load(ctx.input("bundle"))
        df = pd.read_parquet(ctx.input("data") / "data.parquet")
        t0 = time.perf_counter()
        scores = score_frame(bundle, df, self.id_column)
        secs = time.perf_counter() - t0
        assert len(scores) == len(df), "every input row must be scored or quarantined"
        write_frame(scores, ctx.output("scores"))
        write_json({"rows_in": len(df), "rows_scored": len(scores), "rows_quarantined": 0,
                    "seconds": round(secs, 4), "rows_per_second": round(len(df) / secs) if secs else None},
                   ctx.output("scores"), "batch.json")
        ctx.note(rows=len(scores), rows_per_s=round(len(df) / secs) if secs else None)
