"""After one pipeline run: the catalog entry, lineage, governed reads with audit, SQL over the lake."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from mlbp.cli import main
from mlbp.data.catalog import Catalog
from mlbp.governance.audit import AuditLog
from mlbp.governance.policy import Policy

RUN = ["experiment=quick", "data.source.n_rows=3000", "pipeline.stages.serve_check=null"]  # no HTTP here
GOV = {"teams": {"data-science": {"rules": {"pii": "mask", "sensitive": "allow", "public": "allow"}},
                 "marketing": {"rules": {"pii": "deny", "sensitive": "mask", "public": "allow"}}},
       "classifications": {"email": "pii", "customer_id": "sensitive"}}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalog")
    old = Path.cwd()
    os.chdir(root)
    try:
        assert main(RUN) == 0
        yield root
    finally:
        os.chdir(old)


@pytest.fixture
def here(project, monkeypatch):
    monkeypatch.chdir(project)
    return project


def _db(root: Path) -> str:
    return f"sqlite:///{root}/.mlbp/mlbp.db"


def _run(root: Path) -> dict:
    return json.loads(sorted(root.glob("outputs/*/*/run.json"))[-1].read_text())


def test_the_run_registers_the_dataset_with_profile_and_lineage(here):
    cat = Catalog(_db(here))
    [entry] = cat.list()
    assert entry["name"] == "restaurant_offers" and entry["owner"] == "data-science" and entry["rows"] == 3000
    full = cat.show("restaurant_offers")
    snap = full["snapshot"]
    assert snap["fingerprint"].startswith(snap["snapshot"]) and len(snap["fingerprint"]) == 64
    assert snap["classifications"] == {"email": "pii", "customer_id": "sensitive"}
    assert snap["schema"]["visits_90d"]["contract"]["min"] == 0
    prof = snap["profile"]["columns"]
    assert len(prof["visits_90d"]["quantiles"]) == 1001 and prof["region"]["counts"]
    assert prof["email"] == {k: prof["email"][k] for k in ("kind", "dtype", "count", "null_share", "distinct",
                                                            "redacted")}  # no pii values in a profile
    run = _run(here)
    refs = {(r["kind"], r["ref"]) for r in full["lineage"]}
    assert ("run", run["run_id"]) in refs and ("model", "restaurant-offers:1") in refs
    access = AuditLog(_db(here)).records(kind="data_access", subject="restaurant_offers")
    assert access and access[-1]["actor"] == "data-science" and access[-1]["details"]["run_id"] == run["run_id"]
    assert access[-1]["details"]["columns"]["email"] == "mask" and access[-1]["details"]["columns"]["region"] == "allow"


def test_catalog_commands_print_list_and_show(here, capsys):
    assert main(["catalog", "list"]) == 0
    assert main(["catalog", "show", "restaurant_offers"]) == 0
    out = capsys.readouterr().out
    assert "restaurant_offers" in out and "lineage" in out and "pii" in out
    assert main(["catalog", "show", "no_such_data"]) == 1


def test_catalog_reads_apply_the_policy_and_are_audited(here):
    cat = Catalog(_db(here))
    policy = Policy.from_spec(GOV, state_dir=here / ".mlbp")  # the run's key file: masks must match
    before = len(AuditLog(_db(here)).records(kind="data_access"))
    ds = cat.read("restaurant_offers", "data-science", policy, purpose="feature study")
    mkt = cat.read("restaurant_offers", "marketing", policy, purpose="campaign", columns=["customer_id", "region"])
    assert ds["email"].str.match(r"^m_[0-9a-f]{24}$").all() and "month" not in ds.columns
    assert list(mkt.columns) == ["customer_id", "region"] and mkt["customer_id"].str.startswith("m_").all()
    with pytest.raises(Exception, match="not declared"):
        cat.read("restaurant_offers", "intruders", policy, purpose="x")
    records = AuditLog(_db(here)).records(kind="data_access")[before:]
    assert [(r["actor"], r["reason"]) for r in records] == [("data-science", "feature study"),
                                                            ("marketing", "campaign"), ("intruders", "x")]
    assert records[1]["details"]["columns"] == {"customer_id": "mask", "region": "allow"}
    assert "refused" in records[2]["details"]
    assert AuditLog(_db(here)).verify() == []
    # masks match the pipeline's, so governed extracts still join with pipeline outputs
    clean = pd.read_parquet(here / ".mlbp/store/objects" / _run(here)["artifacts"]["clean"] / "data.parquet")
    assert set(clean["email"]) <= set(ds["email"])


def test_sql_over_the_lake_is_governed_and_audited(here, capsys, tmp_path):
    out = tmp_path / "by_region.parquet"
    sql = "SELECT region, count(*) AS n, min(email) AS e FROM restaurant_offers GROUP BY region ORDER BY region"
    assert main(["data", "query", sql, f"query.output={out}"]) == 0
    df = pd.read_parquet(out)
    assert df["n"].sum() == 3000 and df["e"].str.startswith("m_").all()
    assert main(["data", "query", "SELECT email FROM restaurant_offers", "team=marketing"]) == 1
    assert main(["data", "query", "SELECT count(*) FROM read_parquet('.mlbp/lake/**/*.parquet')"]) == 1
    assert main(["data", "query", "SELECT * FROM '.mlbp/lake/restaurant_offers/*/*/*.parquet'"]) == 1
    assert main(["data", "query", "SELECT month, count(*) FROM restaurant_offers GROUP BY 1 ORDER BY 1"]) == 0
    assert "2026-01" in capsys.readouterr().out  # hive partitions are columns of the view
    q = [r for r in AuditLog(_db(here)).records(kind="data_access") if r["subject"] == "lake"]
    assert q[0]["details"]["sql"] == sql and q[0]["details"]["governed"]["restaurant_offers"]["email"] == "mask"
