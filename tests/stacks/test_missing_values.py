"""One meaning of "missing": a row whose text value is None (JSON), NaN (Parquet) or pd.NA (a
nullable string column in a notebook) gets the same answer from every stack, called through
mlbp's readers or directly on the fitted model, and from the serving fast path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlbp.deploy.package import signature
from mlbp.deploy.runtime.compiled import CompiledModel
from mlbp.stacks.train import fit_stack
from tests.stacks.test_stack_conformance import STACKS, composed_stack

MARKERS = {"None": None, "NaN": np.nan, "pd.NA": pd.NA}


def _with_missing(df: pd.DataFrame, columns: list[str], marker) -> pd.DataFrame:
    out = df.copy()
    for c in columns:
        col = out[c].astype(object)
        out[c] = col.where(col.notna() & (np.arange(len(col)) % 7 != 0), marker)  # every 7th row missing
    return out


def _fitted(name: str, small_frame: pd.DataFrame, exclude: list[str], marker):
    df = _with_missing(small_frame, ["favourite_daypart", "channel"], marker)
    return fit_stack(composed_stack(name), df, "redeemed", "binary", exclude, seed=5)


@pytest.mark.parametrize("name", STACKS)
def test_none_nan_and_pd_na_give_identical_probabilities(name, small_frame, exclude):
    pipe, info = _fitted(name, small_frame, exclude, None)  # trained as JSON and CSV readers hand rows over
    rows = small_frame.head(300)
    cols = info["numeric"] + info["categorical"]
    answers = {}
    for label, marker in MARKERS.items():
        X = _with_missing(rows, ["favourite_daypart", "channel"], marker)[cols]
        answers[label] = pipe.predict_proba(X)[:, 1]  # the fitted model called directly, no mlbp reader
    assert np.array_equal(answers["None"], answers["NaN"]), np.abs(answers["None"] - answers["NaN"]).max()
    assert np.array_equal(answers["None"], answers["pd.NA"])
    # and a model trained on NaN-missing rows (a Parquet read) learns the same thing as on None
    pipe_nan, _ = _fitted(name, small_frame, exclude, np.nan)
    X = _with_missing(rows, ["favourite_daypart", "channel"], None)[cols]
    assert np.allclose(pipe_nan.predict_proba(X)[:, 1], answers["None"], atol=1e-12)


@pytest.mark.parametrize("name", [s for s in STACKS if s in ("lightgbm", "xgboost", "hist_gbm")])
def test_the_fast_path_answers_missing_as_the_pipeline_does(name, small_frame, exclude):
    pipe, info = _fitted(name, small_frame, exclude, np.nan)
    df = small_frame.head(200)
    sig = signature(info, {}, df)
    compiled, how = CompiledModel.compile(pipe, sig)
    if compiled is None:
        pytest.skip(f"{name} serves through its pipeline here: {how}")
    rows = _with_missing(df, ["favourite_daypart", "channel"], None)
    cols = {c: [None if pd.isna(v) else (float(v) if c in info["numeric"] else v) for v in rows[c]]
            for c in info["numeric"] + info["categorical"]}  # as the server's checker hands them over
    fast = compiled.predict(cols, len(rows), sig, 0.5)["probability"]
    X = _with_missing(df, ["favourite_daypart", "channel"], np.nan)[info["numeric"] + info["categorical"]]
    assert np.allclose(fast, pipe.predict_proba(X)[:, 1], atol=1e-9)
