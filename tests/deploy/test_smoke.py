"""The smoke stages fail the run when their hand-off is broken."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mlbp.deploy.batch.score import score_dataset
from mlbp.deploy.smoke.golden import GoldenCheck
from mlbp.deploy.smoke.reconcile import BatchReconcile
from mlbp.deploy.smoke.serve import ServeCheck
from mlbp.engine.errors import MlbpError
from mlbp.engine.stage import StageContext
from mlbp.registry.bundle import write_manifest


def _ctx(tmp_path, inputs: dict, slot: str, folder: str | None = None) -> StageContext:
    out = tmp_path / (folder or slot)
    out.mkdir()
    return StageContext(stage=slot, inputs=inputs, outputs={slot: out}, run_dir=tmp_path,
                        log=logging.getLogger("test"))


@pytest.fixture
def wrong_golden(example, tmp_path):
    """A bundle whose hashes verify but whose golden outputs are wrong (re-hashed after the edit)."""
    b = tmp_path / "bundle"
    shutil.copytree(example["bundle"], b)
    g = pd.read_parquet(b / "golden.parquet")
    g.loc[0, "expected_probability"] += 0.25
    g.to_parquet(b / "golden.parquet", index=False)
    manifest = json.loads((b / "manifest.json").read_text())
    manifest.pop("files")
    write_manifest(b, manifest)
    return b


def test_golden_check_passes_on_a_good_bundle_and_fails_on_a_wrong_one(example, wrong_golden, tmp_path):
    GoldenCheck().run(_ctx(tmp_path, {"bundle": example["bundle"]}, "golden_check"))
    with pytest.raises(MlbpError, match="golden examples do not reproduce"):
        GoldenCheck().run(_ctx(tmp_path, {"bundle": wrong_golden}, "golden_check", "bad"))


def test_serve_check_fails_when_the_bundle_cannot_serve_its_golden_examples(wrong_golden, tmp_path):
    # the server itself refuses a bundle that does not reproduce its golden examples
    with pytest.raises(MlbpError, match=r"(?s)exited with code 1 before it was ready.*does not reproduce its golden") \
            as err:
        ServeCheck().run(_ctx(tmp_path, {"bundle": wrong_golden}, "serve_check"))
    named = re.search(r"see the server's output in (\S+)", str(err.value)).group(1)
    assert Path(named).is_file() and "golden" in Path(named).read_text()  # the Fix names a file that exists


def test_serve_check_serves_with_the_deployments_options(example, tmp_path):
    ServeCheck(serving={"unknown_category": "score", "extra_columns": "error"}).run(
        _ctx(tmp_path, {"bundle": example["bundle"]}, "serve_check"))
    results = json.loads((tmp_path / "serve_check" / "serve_check.json").read_text())
    assert results["serving"]["unknown_category"] == "score" and results["serving"]["extra_columns"] == "error"
    assert set(results["protocols"].values()) == {"ok"}


def test_batch_reconcile_notices_a_lost_part(example, golden, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    golden.drop(columns=[c for c in golden.columns if c.startswith("expected_")]).to_parquet(data / "data.parquet")
    scores = tmp_path / "scores"
    score_dataset(example["bundle"], data / "data.parquet", scores, n_jobs=1, chunk_rows=10, id_column="offer_id")
    BatchReconcile().run(_ctx(tmp_path, {"scores": scores, "data": data}, "batch_check"))
    sorted((scores / "scores").glob("part-*.parquet"))[-1].unlink()
    with pytest.raises(MlbpError, match="do not reconcile"):
        BatchReconcile().run(_ctx(tmp_path, {"scores": scores, "data": data}, "batch_check", "again"))
