"""Validation: rows in = accepted + quarantined, column-level failures listed at once, quarantine limits."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlbp.contracts.spec import build_schema
from mlbp.contracts.validate import Validate, find_failures, validate_frame
from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import StageContext
from mlbp.io import read_frame, read_json, write_frame

COLUMNS = {
    "id": {"dtype": "str", "unique": True},
    "n": {"dtype": "int", "min": 0, "max": 100},
    "x": {"dtype": "float", "min": 0, "max": 1, "nullable": True},
    "kind": {"dtype": "str", "allowed": ["a", "b", "c"]},
    "mail": {"dtype": "str", "regex": r"^[^@\s]+@[^@\s]+\.[a-z]+$", "pii": True},
    "when": {"dtype": "datetime"},
}
GOVERNANCE = {"teams": {"ds": {"rules": {"pii": "mask"}}, "mkt": {"rules": {"pii": "deny"}}}}


def good_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "id": [f"r{i}" for i in range(n)],
        "n": rng.integers(0, 100, n),
        "x": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
        "kind": rng.choice(["a", "b", "c"], n),
        "mail": [f"user{i}@corp.example" for i in range(n)],
        "when": pd.date_range("2026-01-01", periods=n, freq="h").astype(str),
    })


BREAKERS = {
    "negative": ("n", -5),
    "too_big": ("n", 1000),
    "not_a_number": ("n", "many"),
    "unknown_kind": ("kind", "zz"),
    "bad_mail": ("mail", "nobody"),
    "null_kind": ("kind", None),
    "bad_date": ("when", "yesterday-ish"),
    "x_out_of_range": ("x", 7.5),
    "dup_id": ("id", "r0"),
}


def _ctx(tmp_path, raw: pd.DataFrame, unparsed: pd.DataFrame | None = None) -> StageContext:
    (tmp_path / "raw").mkdir()
    write_frame(raw, tmp_path / "raw")
    if unparsed is not None:
        write_frame(unparsed, tmp_path / "raw", "unparsed.parquet")
    outs = {s: tmp_path / s for s in ("clean", "quarantine")}
    for p in outs.values():
        p.mkdir()
    return StageContext("validate", {"raw": tmp_path / "raw"}, outs, tmp_path, logging.getLogger("t"),
                        manifest={"run_id": "t"})


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(20, 120), seed=st.integers(0, 10_000),
       bad=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(sorted(BREAKERS))), max_size=15))
def test_rows_in_equal_accepted_plus_quarantined_for_random_bad_rows(n, seed, bad):
    df = good_frame(n, seed).astype(object)
    broken: set[int] = set()
    for pos, kind in bad:
        row = 1 + pos % (n - 1)  # row 0 keeps the original 'r0' so a duplicate id is the later row
        col, value = BREAKERS[kind]
        df.loc[row, col] = value
        broken.add(row)
    accepted, cases = find_failures(df, build_schema(COLUMNS))
    quarantined = set(cases["row"])
    assert len(accepted) + len(quarantined) == n
    assert quarantined == broken  # every broken row caught, no good row blamed
    assert set(accepted["id"]).isdisjoint({df.loc[r, "id"] for r in broken if df.loc[r, "id"] != "r0"})
    assert cases["column"].str.len().gt(0).all() and cases["check"].str.len().gt(0).all()


def test_quarantine_file_names_column_check_and_value_and_masks_pii(tmp_path, monkeypatch):
    monkeypatch.setenv("MLBP_MASK_KEY", "test-key")
    df = good_frame(200)
    df.loc[3, "n"] = -1
    df.loc[7, "mail"] = "leaked-but-invalid"
    df.loc[9, "kind"] = "q"
    unparsed = pd.DataFrame({"line": [5], "text": ["r5,1,2,3,4,5,6,7"], "reason": ["expected 6 fields, got 8"]})
    ctx = _ctx(tmp_path, df, unparsed)
    Validate(COLUMNS, max_quarantine_share=0.1, governance=GOVERNANCE, team="ds").run(ctx)
    q = read_frame(ctx.outputs["quarantine"])
    failures = read_frame(ctx.outputs["quarantine"], "failures.parquet")
    summary = read_json(ctx.outputs["quarantine"], "validation.json")
    assert summary["rows_in"] == 201 and summary["rows_accepted"] == 197 and summary["rows_quarantined"] == 4
    assert summary["rows_unparseable"] == 1
    by_row = failures.set_index("row")
    assert (by_row.loc[3, "column"], by_row.loc[3, "value"]) == ("n", "-1")
    assert by_row.loc[3, "check"].startswith("greater_than_or_equal_to")
    assert by_row.loc[7, "column"] == "mail" and by_row.loc[7, "value"].startswith("m_")
    assert "leaked-but-invalid" not in q.to_string() and "leaked-but-invalid" not in failures.to_string()
    assert q.loc[q["_row"] == 9, "_failures"].iloc[0][0] == {"column": "kind", "check": "isin(['a', 'b', 'c'])",
                                                              "value": "q"}
    parse = q[q["_stage"] == "parse"].iloc[0]
    assert parse["_row"] == 5 and parse["_raw_line"].startswith("m_")  # the line might hold pii
    clean = read_frame(ctx.outputs["clean"])
    assert clean["mail"].str.startswith("m_").all() and len(clean) == 197


def test_denied_columns_are_dropped_everywhere(tmp_path, monkeypatch):
    monkeypatch.setenv("MLBP_MASK_KEY", "test-key")
    df = good_frame(100)
    df.loc[4, "mail"] = "broken"
    ctx = _ctx(tmp_path, df)
    Validate(COLUMNS, max_quarantine_share=0.1, governance=GOVERNANCE, team="mkt").run(ctx)
    assert "mail" not in read_frame(ctx.outputs["clean"]).columns
    assert "mail" not in read_frame(ctx.outputs["quarantine"]).columns
    assert read_frame(ctx.outputs["quarantine"], "failures.parquet")["value"].isna().all()


def test_column_level_failures_are_all_listed_at_once():
    df = good_frame(50).drop(columns=["kind", "when"])
    df["n"] = ["lots"] * 50  # a column that cannot be read as int at all
    with pytest.raises(MlbpError) as err:
        find_failures(df, build_schema(COLUMNS))
    msg = str(err.value)
    assert err.value.reason == Reason.CONTRACT and err.value.key == "contract.columns"
    assert "3 column-level" in msg and "kind" in msg and "when" in msg and "n: coerce_dtype" in msg


def test_strict_contract_rejects_extra_columns():
    df = good_frame(10).assign(extra=1)
    with pytest.raises(MlbpError, match="extra"):
        find_failures(df, build_schema(COLUMNS, strict=True))


def test_quarantine_share_over_the_limit_fails_with_top_reasons(tmp_path):
    df = good_frame(100).astype(object)
    df.loc[1:20, "kind"] = "zz"
    df.loc[21:25, "n"] = -1
    ctx = _ctx(tmp_path, df)
    with pytest.raises(MlbpError) as err:
        Validate(COLUMNS, max_quarantine_share=0.1).run(ctx)
    assert err.value.reason == Reason.QUARANTINE_LIMIT
    assert "25 of 100 rows" in str(err.value)
    assert str(err.value).index("kind/isin") < str(err.value).index("n/greater_than")  # most frequent first


def test_dataset_level_checks_report_every_failure(tmp_path):
    df = good_frame(30)
    ctx = _ctx(tmp_path, df)
    checks = {"min_rows": 100, "target": "label", "max_null_share": {"x": 0.0}, "min_distinct": {"kind": 5}}
    with pytest.raises(MlbpError) as err:
        Validate(COLUMNS, checks=checks).run(ctx)
    msg = str(err.value)
    assert "4 dataset-level" in msg and "min_rows" in msg and "label" in msg
    assert "max_null_share.x" in msg and "min_distinct.kind" in msg


def test_undeclared_team_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("MLBP_MASK_KEY", "k")
    ctx = _ctx(tmp_path, good_frame(10))
    with pytest.raises(MlbpError) as err:
        Validate(COLUMNS, governance=GOVERNANCE, team="nobody").run(ctx)
    assert err.value.reason == Reason.POLICY


def test_validate_frame_keeps_its_three_part_shape_for_other_stages():
    df = good_frame(30)
    df.loc[2, "n"] = -1
    accepted, quarantined, cases = validate_frame(df, build_schema(COLUMNS))
    assert len(accepted) == 29 and quarantined["_row"].tolist() == [2]
    assert list(quarantined.columns[:2]) == ["_row", "_stage"] and "_reason" in quarantined.columns
    assert cases.loc[0, "failure_case"] == "-1" and cases.loc[0, "row"] == 2
