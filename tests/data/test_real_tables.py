"""The six real public tables (../shared/data/real, see its README): `mlbp init` with no hand edit,
then the split, with a holdout that passes the guard. No table has a timestamp except chicago's
real `date`; taxi's `month` holds month names (a category, not a date)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlbp.cli import main

REAL = Path(os.environ.get("MLBP_REAL_TABLES", Path(__file__).resolve().parents[3] / "shared" / "data" / "real"))
TABLES = [  # file, target, the split init should choose
    ("attrition.csv", "Attrition", "stratified"),
    ("ames.parquet", "Sale_Price", "stratified"),
    ("hpc_data.csv", "class", "stratified"),
    ("stackoverflow.parquet", "Remote", "stratified"),
    ("taxi.csv", "tip", "stratified"),
    ("chicago.csv", "ridership", "time"),
]


@pytest.mark.skipif(not REAL.is_dir(), reason=f"the real tables are not at {REAL} (set MLBP_REAL_TABLES)")
@pytest.mark.parametrize(("file", "target", "split"), TABLES)
def test_a_real_table_goes_from_init_to_an_honest_holdout(project_dir, capsys, file, target, split):
    name = file.split(".")[0]
    assert main(["init", name, str(REAL / file), f"target={target}"]) == 0
    assert f"split: {split}, because" in capsys.readouterr().out
    assert main(["--config-dir", str(project_dir / name / "conf"), "only=[split]"]) == 0
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    info = json.loads((project_dir / ".mlbp/store/objects" / run["artifacts"]["holdout"] / "split.json").read_text())
    guard = info["guard"]
    assert info["strategy"] == split and guard["min_rows"] <= info["holdout_rows"]
    assert info["holdout_rows"] <= max(guard["max_rows"], guard["min_rows"]) * 1.05
    assert info["train_rows"] + info["holdout_rows"] == run["stages"]["validate"]["facts"]["accepted"]
