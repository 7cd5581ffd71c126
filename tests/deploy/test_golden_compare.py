"""One definition of "the same outputs" for the load-time golden check and the smoke server check."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlbp.deploy.runtime.golden import TOLERANCE, golden_columns, output_difference, refused_rows


def test_floats_match_within_the_tolerance_and_missing_matches_missing():
    want = np.array([0.25, np.nan, 1.0])
    assert output_difference("p", [0.25 + TOLERANCE / 10, np.nan, 1.0], want) is None
    assert output_difference("p", [0.25 + 1e-6, np.nan, 1.0], want) == "p: max difference 1e-06"
    assert output_difference("p", ["a", None, 1.0], want) == "p: not numbers"
    assert output_difference("p", [0.25, 1.0], want) == "p: 2 values, expected 3"


def test_labels_match_exactly():
    want = np.array(["yes", "no"], dtype=object)
    assert output_difference("prediction", np.array(["yes", "no"], dtype=object), want) is None
    assert output_difference("prediction", ["yes", "yes"], want) == "prediction: differs"


def test_refused_rows_are_the_serving_checkers_decision():
    sig = {"numeric": ["x"], "categorical": ["city"], "task": "binary",
           "inputs": {"x": {"kind": "numeric", "dtype": "float", "nullable": True},
                      "city": {"kind": "categorical", "dtype": "str", "categories": ["Oslo", "Rome"],
                               "nullable": True}}}
    golden = pd.DataFrame({"x": [1.0, np.nan, 3.0], "city": ["Oslo", "Lima", None]})
    assert golden_columns(golden, ["x", "city"]) == {"x": [1.0, None, 3.0], "city": ["Oslo", "Lima", None]}
    assert refused_rows(golden, sig, "reject") == [False, True, False]
    assert refused_rows(golden, sig, "score") == [False, False, False]
