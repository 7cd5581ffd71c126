"""One representation for the model whatever the reader: every numeric dtype pandas produces becomes
float64 with NaN for missing, in the frame's column order, whether converted as one block (plain
numbers) or column by column (text, mixed, booleans as objects)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlbp.stacks.features import to_model_frame
from mlbp.stacks.preprocess import numbers_as_float


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "f": [1.5, np.nan, 3.0],
        "i": pd.array([1, None, 3], dtype="Int64"),
        "b": [True, False, True],
        "nb": pd.array([True, None, False], dtype="boolean"),
        "text_num": pd.Series(["4", "x", None], dtype=object),
        "obj_bool": pd.Series([True, False, None], dtype=object),
        "city": pd.Series(["Oslo", None, pd.NA], dtype=object),
    })


def test_every_numeric_dtype_becomes_float64_with_nan():
    out = to_model_frame(_frame(), ["f", "i", "b", "nb", "text_num", "obj_bool"], ["city"])
    assert list(out.columns) == ["f", "i", "b", "nb", "text_num", "obj_bool", "city"]
    want = {"f": [1.5, np.nan, 3.0], "i": [1.0, np.nan, 3.0], "b": [1.0, 0.0, 1.0], "nb": [1.0, np.nan, 0.0],
            "text_num": [4.0, np.nan, np.nan], "obj_bool": [1.0, 0.0, np.nan]}
    for c, values in want.items():
        assert out[c].dtype == "float64", c
        np.testing.assert_array_equal(out[c].to_numpy(), np.array(values), err_msg=c)
    assert out["city"].iloc[0] == "Oslo" and out["city"].iloc[1:].isna().all()
    assert all(isinstance(v, float) for v in out["city"].iloc[1:])  # NaN, not None or pd.NA


def test_the_fitted_models_numeric_step_agrees_for_blocks_and_mixed_frames():
    df = _frame()
    block = numbers_as_float(df[["f", "i", "b", "nb"]])
    mixed = numbers_as_float(df[["f", "i", "b", "nb", "text_num"]])
    assert (block.dtypes == "float64").all() and list(block.columns) == ["f", "i", "b", "nb"]
    pd.testing.assert_frame_equal(block, mixed[["f", "i", "b", "nb"]])
    np.testing.assert_array_equal(mixed["text_num"].to_numpy(), [4.0, np.nan, np.nan])
