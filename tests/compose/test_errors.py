"""Config mistakes are caught before anything runs, all at once, without a traceback."""

from __future__ import annotations

import json

from mlbp.cli import main

QUICK = ["experiment=quick", "data.source.n_rows=6000"]


def test_graph_problems_are_reported_together_with_suggestions(project_dir, capsys):
    code = main([*QUICK, "+pipeline.stages.train.sed=3", "pipeline.stages.batch.needs.data=holdot",
                 "pipeline.stages.split._target_=os.system"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert "pipeline.stages.train.sed" in err and "did you mean 'seed'" in err
    assert "pipeline.stages.split._target_" in err and "allow-list" in err
    assert not (project_dir / ".mlbp" / "store").exists()  # nothing ran


def test_missing_artifact_names_the_key_and_the_close_name(project_dir, capsys):
    assert main([*QUICK, "pipeline.stages.batch.needs.data=holdot"]) == 1
    err = capsys.readouterr().err
    assert "pipeline.stages.batch.needs" in err and "did you mean 'holdout'" in err


def test_failing_stage_names_stage_and_key_then_rerun_resumes(project_dir, capsys):
    code = main([*QUICK, "contract.max_quarantine_share=0.0001"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert "contract.max_quarantine_share" in err and "stage 'validate' failed" in err
    failed = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    assert failed["status"] == "failed" and failed["stages"]["validate"]["status"] == "failed"

    assert main([*QUICK, "only=[split]"]) == 0  # as far as the split: enough to see what resumes
    resumed = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    assert resumed["status"] == "done"
    assert resumed["stages"]["ingest"]["cache_hit"] is True
    assert resumed["stages"]["validate"]["cache_hit"] is False


def test_allow_targets_extends_the_allow_list(project_dir, capsys):
    code = main([*QUICK, "pipeline.stages.split._target_=tests.engine.stages.Sum"])
    assert code == 1 and "allow-list" in capsys.readouterr().err


def test_graph_command_prints_text_and_mermaid(project_dir, capsys):
    assert main(["graph"]) == 0
    out = capsys.readouterr().out
    assert "ingest" in out and "needs: raw" in out
    assert main(["graph", "graph.format=mermaid"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart LR") and "split -->|holdout| batch" in out
