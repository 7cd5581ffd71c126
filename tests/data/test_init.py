"""Bring your own data: `mlbp init` scaffolds a project that `mlbp --config-dir` runs end to end.

The dataset is generated here with names and types unlike the bundled example: support tickets
with a text key, date strings, a bool, an email, and either a binary or a numeric target.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from mlbp.cli import main
from tests.tables import tickets


def _latest_run(folder):
    return json.loads(sorted(folder.glob("outputs/*/*/run.json"))[-1].read_text())


CASES = [("csv", "escalated", "binary", "resolution_hours"),
         ("parquet", "resolution_hours", "regression", "escalated")]


def _init(project_dir, fmt: str, target: str, task: str, drop: str):
    """`mlbp init` on the tickets table as a CSV or Parquet file; checks what it wrote."""
    df = tickets().drop(columns=[drop])
    data = project_dir / f"tickets.{fmt}"
    if fmt == "csv":
        df.to_csv(data, index=False)
    else:
        df.assign(opened_on=pd.to_datetime(df["opened_on"])).to_parquet(data, index=False)
    assert main(["init", "proj", str(data), f"target={target}"]) == 0
    conf = project_dir / "proj" / "conf"
    cfg = yaml.safe_load((conf / "local" / "project.yaml").read_text())
    assert (cfg["target"], cfg["task"], cfg["time_column"], cfg["id_column"]) == (target, task, "opened_on",
                                                                                  "ticket_ref")
    contract = yaml.safe_load((conf / "contract" / "local.yaml").read_text())
    assert contract["columns"]["agent_email"]["pii"] is True
    assert contract["columns"]["channel_kind"]["allowed"] == ["chat", "phone", "web"]
    gov = yaml.safe_load((conf / "governance" / "local.yaml").read_text())
    assert list(gov["teams"]) == ["data-science"] and gov["classifications"] == {"agent_email": "pii"}
    assert "mlbp --config-dir" in (project_dir / "proj" / "README.md").read_text()
    return conf


def _run_what_init_wrote(project_dir, conf, target: str) -> None:
    assert main(["--config-dir", str(conf), "stack.params.n_estimators=60"]) == 0
    run = _latest_run(project_dir)
    assert run["status"] == "done" and run["config"]["project"] == "tickets" and run["config"]["target"] == target
    facts = run["stages"]["validate"]["facts"]
    assert facts["rows_in"] == 2500 == facts["accepted"] + facts["quarantined"]
    assert run["stages"]["evaluate"]["facts"]["blessed"] is True
    clean = pd.read_parquet(project_dir / ".mlbp/store/objects" / run["artifacts"]["clean"] / "data.parquet")
    assert clean["agent_email"].str.startswith("m_").all()
    report = sorted(project_dir.glob("outputs/*/*/report.html"))[-1].read_text()
    assert "Data assessment" in report and "data:image/png;base64" in report
    assert main(["catalog", "show", "tickets", "--config-dir", str(conf)]) == 0
    # the packaged config knows nothing of agent_email; the catalog remembers it is pii
    out = project_dir / "agents.parquet"
    assert main(["data", "query", "SELECT DISTINCT agent_email FROM tickets", f"query.output={out}"]) == 0
    assert pd.read_parquet(out)["agent_email"].str.match(r"^m_[0-9a-f]{24}$").all()


@pytest.mark.parametrize(("fmt", "target", "task", "drop"), CASES)
def test_init_reads_your_table_into_a_project(project_dir, fmt, target, task, drop):
    _init(project_dir, fmt, target, task, drop)


def test_init_then_run_on_your_own_data(project_dir):
    fmt, target, task, drop = CASES[0]
    _run_what_init_wrote(project_dir, _init(project_dir, fmt, target, task, drop), target)


@pytest.mark.slow
def test_init_then_run_a_regression_from_parquet(project_dir):
    fmt, target, task, drop = CASES[1]
    _run_what_init_wrote(project_dir, _init(project_dir, fmt, target, task, drop), target)


def test_init_needs_a_target(project_dir):
    tickets(200).to_csv(project_dir / "t.csv", index=False)
    assert main(["init", "proj", str(project_dir / "t.csv")]) == 1
    assert main(["init", "proj", str(project_dir / "t.csv"), "target=nope"]) == 1
    assert main(["init", "proj", str(project_dir / "t.csv"), "target=escalated", "time_column=nope"]) == 1
    assert not (project_dir / "proj").exists()  # nothing half-written


def test_init_on_a_table_with_no_date_runs_end_to_end(project_dir, capsys):
    """0/1 labels, no timestamp: init picks the stratified split, says why, and the whole pipeline
    runs with no hand edit; out-of-time rules are reported as not measurable, never computed."""
    tickets(3000).drop(columns=["opened_on", "resolution_hours"]).to_csv(project_dir / "undated.csv", index=False)
    assert main(["init", "proj", str(project_dir / "undated.csv"), "target=escalated"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "split: stratified, because no date column" in out
    conf = project_dir / "proj" / "conf"
    project = (conf / "local" / "project.yaml").read_text()
    assert "override /split: stratified" in project and "# why: no date column" in project
    assert "`stratified` split, because no date column" in (project_dir / "proj" / "README.md").read_text()
    assert yaml.safe_load(project)["time_column"] is None
    assert main(["--config-dir", str(conf), "stack.params.n_estimators=60",
                 "+evaluation.thresholds.degradation.max=0.05"]) == 0
    run = _latest_run(project_dir)
    assert run["stages"]["split"]["facts"]["strategy"] == "stratified"
    card = json.loads((project_dir / ".mlbp/store/objects" / run["artifacts"]["scorecard"] / "scorecard.json")
                      .read_text())
    assert card["degradation"]["drop"] is None and "not measurable" in card["degradation"]["not_measurable"]
    assert set(card["not_measurable"]) == {"degradation"} and card["blessed"] is True
    assert card["cv"]["fold_strategy"] == "stratified" and card["subscores"]["robustness"] is None
    report = sorted(project_dir.glob("outputs/*/*/report.html"))[-1].read_text()
    assert "not measurable without a time order" in report


def test_init_with_a_partial_last_month_runs_end_to_end(project_dir, capsys):
    """The newest month holds a few rows only: init picks the time split, and the holdout is the
    last full month with the partial one, not the partial month alone."""
    df = tickets(3000)
    df.loc[df.index[-30:], "opened_on"] = "2026-07-01 00:30"  # 30 rows in a month that just began
    df.to_csv(project_dir / "tickets.csv", index=False)
    assert main(["init", "proj", str(project_dir / "tickets.csv"), "target=escalated"]) == 0
    assert "split: time, because 'opened_on' spans 6 months" in " ".join(capsys.readouterr().out.split())
    conf = project_dir / "proj" / "conf"
    assert main(["--config-dir", str(conf), "stack.params.n_estimators=60"]) == 0
    run = _latest_run(project_dir)
    info = json.loads((project_dir / ".mlbp/store/objects" / run["artifacts"]["holdout"] / "split.json").read_text())
    assert info["partial_period"]["period"] == "2026-07" and info["holdout_rows"] >= 1000
    assert run["stages"]["evaluate"]["facts"]["blessed"] is True


def test_init_sniffs_a_semicolon_latin_file_and_writes_it_down(project_dir):
    """European exports: `;` between fields, Windows-1252 text (here UTF-16 from a spreadsheet
    would do the same). init detects both through the shared text layer and the config it
    writes reads the file the same way."""
    df = tickets().drop(columns=["resolution_hours"])
    df.loc[df.index[:50], "channel_kind"] = "web"
    data = project_dir / "tickets.csv"
    data.write_bytes(df.to_csv(index=False, sep=";").encode("utf-16"))
    assert main(["init", "proj", str(data), "target=escalated"]) == 0
    conf = project_dir / "proj" / "conf"
    source = yaml.safe_load((conf / "data" / "local.yaml").read_text())["source"]
    assert (source["delimiter"], source["encoding"]) == (";", "utf-16")
    from mlbp.data.sources import CsvSource

    assert len(CsvSource("t", str(data), delimiter=source["delimiter"], encoding=source["encoding"]).read()) == len(df)
