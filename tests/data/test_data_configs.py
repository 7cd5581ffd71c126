"""The shipped data configs build real sources: SQL over SQLite and a stacked pair of CSVs, ingested."""

from __future__ import annotations

import json
import sqlite3

from mlbp.examples.restaurant_offers.generate import generate

from mlbp.cli import main


def _manifest(project_dir):
    return json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())


def test_sql_config_ingests_into_the_lake(project_dir):
    df = generate(n_rows=1500, seed=2)
    with sqlite3.connect(project_dir / "crm.db") as con:
        df.assign(sent_at=df["sent_at"].astype(str)).to_sql("offers", con, index=False)
    args = ["data=sql", "data.name=crm_offers", f"data.source.url=sqlite:///{project_dir}/crm.db",
            "data.source.query='SELECT * FROM offers WHERE channel <> :skip'", "+data.source.params.skip=sms",
            "only=[validate]"]
    assert main(args) == 0
    run = _manifest(project_dir)
    expected = int((df["channel"] != "sms").sum())
    assert run["stages"]["ingest"]["facts"]["rows"] == expected
    assert (project_dir / ".mlbp/lake/crm_offers").is_dir()
    assert sorted(p.name for p in next((project_dir / ".mlbp/lake/crm_offers").glob("snapshot=*")).iterdir()
                  )[:2] == ["_meta.json", "month=2026-01"]
    facts = run["stages"]["validate"]["facts"]
    assert facts["rows_in"] == expected == facts["accepted"] + facts["quarantined"]


def test_combined_config_stacks_csv_parts_and_quarantines_their_bad_lines(project_dir):
    df = generate(n_rows=1200, seed=4, invalid_share=0.0)
    df.iloc[:600].to_csv(project_dir / "a.csv", index=False)
    df.iloc[600:].to_csv(project_dir / "b.csv", index=False)
    with (project_dir / "b.csv").open("a") as f:
        f.write("O99999999,broken,line\n")
    args = ["data=combined", "data.name=offers_ab", "data.source.parts.0.path=a.csv", "data.source.parts.1.path=b.csv",
            "data.source.parts.0.parse_dates=[sent_at]", "data.source.parts.1.parse_dates=[sent_at]",
            "data.source.tag_column=part", "contract.strict=false", "only=[validate]"]
    assert main(args) == 0
    facts = _manifest(project_dir)["stages"]["validate"]["facts"]
    assert facts == {"rows_in": 1201, "accepted": 1200, "quarantined": 1}
