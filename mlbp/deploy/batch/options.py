"""The two batch sections: how scoring runs (`deploy.batch`) and what `mlbp score` scores and
where it writes (`deploy.score`).

`deploy.batch` goes whole to `mlbp score` and to the pipeline's batch stage, so the run scores
the holdout exactly as the deployment will score production data, and each key reaches
score_dataset (the field names are its keyword arguments). The target is kept apart: the
pipeline scores the bundle it has just packaged into its own artifact, and a time-stamped output
folder inside the stage's config would make it miss the cache on every run.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from mlbp.engine.sections import Section, load_section

# keys that lived in deploy.batch before the target got its own section
MOVED = {k: f"deploy.score.{k}" for k in ("model", "alias", "bundle", "output")}


class BatchOptions(Section):
    """How a batch job runs (conf/deploy/batch.yaml documents each key)."""

    engine: Literal["local", "dask"] = "local"
    n_jobs: int = Field(2, ge=1)
    backend: Literal["auto", "loky", "threading"] = "auto"
    trees: Literal["auto", "compiled", "booster"] = "auto"
    scheduler: str | None = None
    chunk_rows: int = Field(200_000, ge=1)
    id_column: str | None = None
    unknown_category: Literal["reject", "score"] = "reject"

    def kwargs(self) -> dict[str, Any]:
        """score_dataset's keyword arguments."""
        return self.model_dump()


class ScoreTarget(Section):
    """What `mlbp score` scores with (a registry alias or version, or a bundle folder) and where."""

    model: str
    alias: str | int = "champion"
    bundle: str | None = None
    output: str


def batch_options(values: Any) -> BatchOptions:
    return load_section(BatchOptions, values, "deploy.batch", moved=MOVED)


def score_target(values: Any) -> ScoreTarget:
    return load_section(ScoreTarget, values, "deploy.score")
