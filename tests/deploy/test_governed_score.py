"""`mlbp score` writes rows as the running team may see them: its quarantine used to copy whole input
rows with no governance (42 raw emails for a team denied them). Scores and quarantine of a file
with emails and customer ids, scored as `marketing` (email denied, customer_id masked) and as
`data-science` (email masked): no raw value in any output, counts still reconcile."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mlbp.cli import main
from mlbp.governance.policy import mask_value


@pytest.fixture
def raw_file(frame, tmp_path):
    df = frame.head(400).copy()
    df["email"] = [f"person{i}@example.com" for i in range(len(df))]
    df["customer_id"] = [f"CUST-{i:05d}" for i in range(len(df))]
    df["region"] = df["region"].astype(object)
    df.loc[df.index[:40], "region"] = "atlantis"  # unseen: these rows go to quarantine
    path = tmp_path / "incoming.csv"
    df.to_csv(path, index=False)
    return path, df


def _outputs(out) -> pd.DataFrame:
    parts = [pd.read_parquet(p) for p in sorted(out.rglob("*.parquet"))]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@pytest.mark.parametrize("team, email_rule", [("marketing", "deny"), ("data-science", "mask")])
def test_scores_and_quarantine_hold_no_raw_personal_data(example, raw_file, tmp_path, monkeypatch, capsys,
                                                        team, email_rule):
    monkeypatch.chdir(example["root"])
    path, df = raw_file
    out = tmp_path / f"scores-{team}"
    assert main(["score", str(path), f"team={team}", f"deploy.score.output={out}",
                 "deploy.batch.id_column=customer_id"]) == 0
    summary = json.loads((out / "batch.json").read_text())
    assert summary["rows_in"] == 400 and summary["rows_quarantined"] >= 40 and summary["reconciled"]
    quarantine = pd.concat([pd.read_parquet(p) for p in (out / "quarantine").glob("*.parquet")])
    text = _outputs(out).astype(str).to_csv() + (out / "batch.json").read_text()
    assert not [e for e in df["email"] if e in text], "a raw email reached an output"
    if team == "marketing":  # customer_id is `sensitive`: masked for marketing, allowed for data-science
        assert not [c for c in df["customer_id"] if c in text], "a raw customer id reached an output"
    key = (example["root"] / ".mlbp" / "mask.key").read_bytes()
    if email_rule == "deny":
        assert "email" not in quarantine.columns
    else:
        assert set(quarantine["email"]) <= {mask_value(e, key) for e in df["email"]}
    scores = pd.concat([pd.read_parquet(p) for p in (out / "scores").glob("*.parquet")])
    if team == "marketing":  # the row key is the masked customer id
        assert set(scores["customer_id"]) <= {mask_value(c, key) for c in df["customer_id"]}
        assert summary["governed_columns"] == {"email": "deny", "customer_id": "mask"}
