"""Raw pii never appears in anything a run writes for a team without clearance.

Runs the default pipeline on a small generated example, then reads every file under outputs/
and every store artifact except `raw` (the lake's copy, read only through the catalog policy),
decoding Parquet, and looks for any of the raw emails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from mlbp.examples.restaurant_offers.generate import generate

from mlbp.cli import main

SMALL = ["experiment=quick", "data.source.n_rows=4000"]
EMAIL = re.compile(r"[A-Za-z0-9_.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _strings_in(path: Path) -> set[str]:
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
        text = " ".join(map(str, df.to_numpy().ravel().tolist())) + " " + " ".join(map(str, df.columns))
    else:
        text = path.read_bytes().decode("utf-8", errors="ignore")
    return set(EMAIL.findall(text))


def _files_written(project: Path) -> list[Path]:
    run = json.loads(sorted(project.glob("outputs/*/*/run.json"))[-1].read_text())
    files = [p for p in (project / "outputs").rglob("*") if p.is_file()]
    objects = project / ".mlbp" / "store" / "objects"
    for name, digest in run["artifacts"].items():
        if name != "raw":
            files += [p for p in (objects / digest).rglob("*") if p.is_file()]
    files += [p for p in (project / ".mlbp" / "registry").rglob("*") if p.is_file()]
    return files


@pytest.mark.parametrize("team", ["data-science", "marketing"])
def test_no_raw_email_in_any_file_a_run_writes(project_dir, team):
    raw_emails = set(generate(n_rows=4000, seed=7)["email"]) - {"not-an-email"}
    assert main([*SMALL, f"team={team}"]) == 0
    files = _files_written(project_dir)
    assert any(f.name == "report.html" for f in files)
    assert any(f.name == "failures.parquet" for f in files)  # the quarantine was searched too
    leaks = {str(f.relative_to(project_dir)): sorted(_strings_in(f) & raw_emails)[:3] for f in files}
    assert {k: v for k, v in leaks.items() if v} == {}

    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    objects = project_dir / ".mlbp" / "store" / "objects"
    clean = pd.read_parquet(objects / run["artifacts"]["clean"] / "data.parquet")
    quarantine = pd.read_parquet(objects / run["artifacts"]["quarantine"] / "data.parquet")
    if team == "data-science":  # pii: mask -> keyed hash, stable for joins
        assert clean["email"].str.match(r"^m_[0-9a-f]{24}$").all()
        assert clean.groupby("customer_id")["email"].nunique().max() == 1
    else:  # pii: deny -> the column is gone; sensitive: mask
        assert "email" not in clean.columns and "email" not in quarantine.columns
        assert clean["customer_id"].str.startswith("m_").all()
    # the raw artifact does hold raw emails: the search above would have found a leak
    raw = pd.read_parquet(objects / run["artifacts"]["raw"] / "data.parquet")
    assert raw_emails & set(raw["email"])


def test_an_undeclared_team_is_refused_before_anything_is_written(project_dir):
    assert main([*SMALL, "team=growth-hackers"]) == 1
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    err = run["stages"]["validate"]["error"]
    assert err["reason"] == "policy" and err["key"] == "team"
