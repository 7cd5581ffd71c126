"""A value of the wrong type fails its row, not its column: ten 'yes' in an integer column, a
'maybe' among booleans, 'x' in a float column, 'not a date' in a date column and one integer past
int64 each quarantine their own row (naming the column, the type expected and the value) while
every other row goes on, and rows in = accepted + quarantined. A file as users have them: CSV,
through `mlbp init` (which types a text column that is nearly all numbers as numbers)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from mlbp.cli import main
from mlbp.contracts.coerce import coerce_text_columns
from mlbp.data.ingest import storable
from mlbp.io import read_frame
from tests.tables import tickets

BAD = {  # column -> (rows, value)
    "priority_level": (range(100, 110), "yes"),
    "wait_minutes": ([7], "x"),
    "is_vip": ([11], "maybe"),
    "opened_on": ([13], "not a date"),
}
HUGE_ROW = 21


def _table() -> pd.DataFrame:
    df = tickets(2500)
    for col, (rows, value) in BAD.items():
        df[col] = df[col].astype(object)
        df.loc[list(rows), col] = value
    df.loc[HUGE_ROW, "priority_level"] = "99999999999999999999"
    return df


def _validate(project_dir, capsys):
    _table().to_csv(project_dir / "t.csv", index=False)
    assert main(["init", "proj", str(project_dir / "t.csv"), "target=escalated"]) == 0
    contract = yaml.safe_load(next((project_dir / "proj" / "conf" / "contract").glob("*.yaml")).read_text())
    code = main(["--config-dir", str(project_dir / "proj" / "conf"), "only=[validate]"])
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    return code, contract, run, capsys.readouterr()


def test_bad_values_quarantine_their_rows_and_the_counts_reconcile(project_dir, capsys):
    code, contract, run, _ = _validate(project_dir, capsys)
    types = {c: contract["columns"][c]["dtype"] for c in BAD}
    assert types == {"priority_level": "int", "wait_minutes": "float", "is_vip": "bool", "opened_on": "datetime"}
    assert code == 0 and run["status"] == "done"
    store = project_dir / ".mlbp" / "store" / "objects"
    summary = json.loads((store / run["artifacts"]["quarantine"] / "validation.json").read_text())
    cases = pd.read_parquet(store / run["artifacts"]["quarantine"] / "failures.parquet")
    bad_rows = {r for rows, _ in BAD.values() for r in rows} | {HUGE_ROW}
    assert summary["rows_in"] == 2500 == summary["rows_accepted"] + summary["rows_quarantined"]
    assert summary["rows_quarantined"] == len(bad_rows)
    assert set(cases["row"]) == bad_rows
    for col, (rows, value) in BAD.items():
        mine = cases[cases["column"] == col]
        assert set(mine["row"]) >= set(rows) and (mine.loc[mine["row"].isin(rows), "value"] == value).all()
        assert mine["check"].str.startswith("coerce_dtype").all()
    huge = cases[cases["row"] == HUGE_ROW].iloc[0]
    assert huge["column"] == "priority_level" and "int64 range" in huge["check"]
    clean = read_frame(store / run["artifacts"]["clean"])
    assert len(clean) == 2500 - len(bad_rows) and str(clean["is_vip"].dtype) in ("bool", "boolean")


def test_a_column_mostly_of_another_type_fails_the_run_naming_it(project_dir, capsys):
    df = _table()
    df.to_csv(project_dir / "t.csv", index=False)
    assert main(["init", "proj", str(project_dir / "t.csv"), "target=escalated"]) == 0
    path = next((project_dir / "proj" / "conf" / "contract").glob("*.yaml"))
    text = path.read_text().replace("product_area: {dtype: str", "product_area: {dtype: int")
    path.write_text(text)
    assert main(["--config-dir", str(project_dir / "proj" / "conf"), "only=[validate]"]) == 1
    err = capsys.readouterr().err
    assert "product_area: coerce_dtype('int'): expected an integer fails for 2500 of 2500 values" in err


@pytest.mark.parametrize(("dtype", "values", "bad"), [
    ("int", ["1", "2.0", "yes", "", None, "99999999999999999999", "9007199254740993"], [2, 5]),
    ("float", ["1.5", "x", "2", None, "1e3"], [1]),
    ("bool", ["True", "false", "YES", "n", "maybe", "1"], [4]),
    ("datetime", ["2024-01-01", "03/15/2024", "not a date", None, "2024-02-30"], [2, 4]),
])
def test_each_type_parses_value_by_value(dtype, values, bad):
    df = pd.DataFrame({"c": pd.Series(values, dtype=object)})
    out, cases = coerce_text_columns(df, {"c": {"dtype": dtype}})
    assert cases["row"].tolist() == bad and (cases["column"] == "c").all()
    if dtype == "int":
        assert out["c"].iloc[6] == 9007199254740993  # past float precision, read exactly
        assert "int64 range" in cases.loc[cases["row"] == 5, "check"].item()


def test_ingest_keeps_a_column_arrow_cannot_hold_as_text():
    import pyarrow as pa

    with pytest.raises((OverflowError, pa.ArrowException)):
        pa.Table.from_pandas(pd.DataFrame({"n": pd.Series([1, 99999999999999999999], dtype=object)}))
    df = pd.DataFrame({"n": pd.Series([1, 2, 99999999999999999999], dtype=object), "ok": [1, 2, 3]})
    out, as_text = storable(df)
    assert as_text == ["n"] and out["n"].tolist() == ["1", "2", "99999999999999999999"]
    assert pa.Table.from_pandas(out).num_rows == 3  # Arrow takes it now


def test_batch_scoring_reads_text_numbers_and_booleans_row_by_row():
    """`mlbp score` on such a CSV: Arrow reads both columns as text; only the bad rows are refused
    (it used to refuse every row of a boolean column read as 'True'/'False' text)."""
    import pyarrow as pa

    from mlbp.deploy.batch.checks import check_batch
    from mlbp.deploy.runtime.signature import InputChecker

    sig = {"task": "binary", "numeric": ["n", "flag"], "categorical": [],
           "inputs": {"n": {"kind": "numeric", "dtype": "int", "nullable": True},
                      "flag": {"kind": "numeric", "dtype": "bool", "nullable": True}}}
    batch = pa.table({"n": ["1", "yes", "3", "4"], "flag": ["True", "false", "maybe", None]})
    out = check_batch(batch, InputChecker(sig))
    assert out.valid.tolist() == [True, False, False, True]
    assert out.reasons.tolist()[1:3] == ["n: expected a number", "flag: expected true or false"]
    assert out.numeric["flag"][[0, 1]].tolist() == [1.0, 0.0] and np.isnan(out.numeric["flag"][3])
