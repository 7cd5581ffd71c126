"""Empty text as missing, by the contract's `empty_is_missing` option: a Parquet file holds `""` where
a CSV reader would see nothing. With the option, validation, the server and the batch scorer all
read it as the missing value the model was trained with; without it, `""` is a value (and, for a
column with allowed categories, a contract failure)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
from mlbp.examples.restaurant_offers.generate import generate

from mlbp.cli import main
from mlbp.contracts.validate import empty_as_missing
from mlbp.deploy.batch.checks import check_batch
from mlbp.deploy.runtime.signature import InputChecker

SIG = {"task": "binary", "numeric": ["x"], "categorical": ["daypart"], "empty_is_missing": True,
       "inputs": {"x": {"kind": "numeric", "dtype": "float", "nullable": True},
                  "daypart": {"kind": "categorical", "dtype": "str", "categories": ["lunch", "dinner"],
                              "nullable": True}}}


def test_blank_text_becomes_missing_in_the_contracts_text_columns_only():
    df = pd.DataFrame({"a": ["x", "", "  ", None], "n": [1.0, 2.0, 3.0, 4.0], "b": ["", "y", "z", "w"]})
    counts = empty_as_missing(df, {"a": {"dtype": "str"}, "n": {"dtype": "float"}})
    assert counts == {"a": 2} and df["a"].isna().tolist() == [False, True, True, True]
    assert df["b"].tolist()[0] == ""  # not a contract column: untouched


def test_the_server_and_the_batch_scorer_read_blank_text_as_missing():
    checked = InputChecker(SIG).columns({"x": [1.0, 2.0], "daypart": ["", "lunch"]})
    assert checked["daypart"] == [None, "lunch"]
    refused = InputChecker({**SIG, "empty_is_missing": False}).columns({"x": [1.0], "daypart": [""]}).rejected
    assert refused[0].field == "daypart" and "unknown category" in str(refused[0])  # without the option: unseen
    batch = pa.table({"x": [1.0, 2.0, 3.0], "daypart": ["", " ", "dinner"]})
    out = check_batch(batch, InputChecker(SIG))
    codes = out.categorical["daypart"]
    assert codes.index[:2].tolist() == [-1, -1] and codes.values[codes.index[2]] == "dinner"
    assert out.valid.all()


def test_validation_accepts_blank_text_as_missing_only_with_the_option(project_dir):
    df = generate(n_rows=2000, seed=3, invalid_share=0.0)
    blank = df["favourite_daypart"].notna() & (np.arange(len(df)) % 10 == 0)
    df.loc[blank, "favourite_daypart"] = ""
    df.to_parquet(project_dir / "offers.parquet", index=False)
    base = ["data=parquet", f"data.source.path={project_dir / 'offers.parquet'}", "data.name=offers",
            "only=[validate]", "contract.max_quarantine_share=0.5"]
    assert main(base) == 0
    first = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    assert first["stages"]["validate"]["facts"]["quarantined"] == int(blank.sum())  # '' is no allowed daypart
    assert main([*base, "+contract.empty_is_missing=true"]) == 0
    second = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    assert second["stages"]["validate"]["facts"]["quarantined"] == 0
    summary = json.loads((project_dir / ".mlbp/store/objects" / second["artifacts"]["clean"] / "validation.json")
                         .read_text())
    assert summary["empty_as_missing"] == {"favourite_daypart": int(blank.sum())}
