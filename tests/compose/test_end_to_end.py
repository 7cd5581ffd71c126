"""The default pipeline runs end to end on a small generated dataset, then resumes from cache."""

from __future__ import annotations

import json

from mlbp.cli import main

SMALL = ["experiment=quick", "data.source.n_rows=6000"]


def _latest_manifest(project_dir):
    runs = sorted(project_dir.glob("outputs/*/*/run.json"))
    return json.loads(runs[-1].read_text())


def test_default_pipeline_runs_and_second_run_is_all_cache_hits(project_dir):
    assert main(SMALL) == 0
    first = _latest_manifest(project_dir)
    assert first["status"] == "done"
    stages = first["stages"]
    spine = ["ingest", "validate", "assess", "split", "train", "evaluate", "package", "register", "batch", "report"]
    assert [s for s in stages if s in spine] == spine  # other stages (smoke checks, ...) may sit between
    assert {"golden_check", "serve_check", "batch_check", "catalog", "lineage"} <= set(stages)
    validate = stages["validate"]["facts"]
    assert validate["rows_in"] == validate["accepted"] + validate["quarantined"]
    assert validate["quarantined"] > 0  # the example ships deliberately invalid rows
    assert stages["register"]["facts"]["version"] == 1
    report = sorted(project_dir.glob("outputs/*/*/report.html"))[-1]
    assert "Scorecard" in report.read_text()

    assert main(SMALL) == 0
    second = _latest_manifest(project_dir)
    cacheable = [n for n in second["stages"] if n not in ("register", "report", "catalog", "lineage")]
    assert all(second["stages"][n]["cache_hit"] for n in cacheable)
    assert second["stages"]["register"]["facts"]["version"] == 1  # idempotent: no duplicate version
    assert second["artifacts"] == first["artifacts"]
