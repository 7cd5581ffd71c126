"""After batch scoring: scored + quarantined rows = input rows, counted on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import write_json


class BatchReconcile(Stage):
    """Needs `scores` and the `data` that was scored; makes `batch_check`. Counts rows on disk."""

    needs: ClassVar[tuple[str, ...]] = ("scores", "data")
    makes: ClassVar[tuple[str, ...]] = ("batch_check",)
    check: ClassVar[str | None] = "smoke"  # a hand-off check the promotion policy counts

    def run(self, ctx: StageContext) -> None:
        result = reconcile(ctx.input("data") / "data.parquet", ctx.input("scores"))
        write_json(result, ctx.output("batch_check"), "batch_check.json")
        if not result["ok"]:
            raise MlbpError("batch counts do not reconcile", reason=Reason.STAGE_FAILED, key="pipeline.stages.batch",
                            expected=f"{result['rows_in']} rows = scored + quarantined",
                            got=f"{result['rows_scored']} + {result['rows_quarantined']}")
        ctx.note(**{k: result[k] for k in ("rows_in", "rows_scored", "rows_quarantined")})


def reconcile(source: Path, out: Path) -> dict[str, Any]:
    import pyarrow.dataset as ds

    def count(folder: Path) -> int:
        files = sorted(folder.glob("part-*.parquet"))
        return ds.dataset(files, format="parquet").count_rows() if files else 0

    rows_in = ds.dataset(source, format="parquet").count_rows()
    scored, quarantined = count(out / "scores"), count(out / "quarantine")
    summary = json.loads((out / "batch.json").read_text())
    ok = rows_in == scored + quarantined and summary["rows_in"] == rows_in \
        and summary["rows_scored"] == scored and summary["rows_quarantined"] == quarantined
    return {"rows_in": rows_in, "rows_scored": scored, "rows_quarantined": quarantined, "ok": ok,
            "summary": {k: summary[k] for k in ("rows_in", "rows_scored", "rows_quarantined")}}
