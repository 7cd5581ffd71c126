"""The fast paths `mlbp init` and ingest take on big tables give the answers of the exact ones:
Arrow's row check vs the csv module's line scan, ISO-first date parsing vs value-by-value
parsing, label keys per distinct value, and the rank formulas vs scikit-learn's and scipy's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from mlbp.data.labels import Labels, label_key, label_keys
from mlbp.data.signals import _auc, _spearman
from mlbp.data.sources import CsvSource, utc_times
from mlbp.engine.errors import MlbpError


@pytest.mark.parametrize(("body", "ids", "lines"), [
    # a quoted field over two lines, then a ragged row: the ragged row is line 5 (issue 34: it used
    # to shift the skipped line, so a good row vanished and the bad one was read)
    ('id,note,amount\n1,"two\nlines",2.5\n2,plain,3.5\n3,ragged\n4,y,4.0\n', [1, 2, 4], [5]),
    ('id,note,amount\n1,"a, quoted",2.5\n2,x\n3,"say ""hi""",1.0\n', [1, 3], [3]),
    ('id,note,amount\n1,a,2.5\n\n2,b\n3,c,3.5\n', [1, 3], [4]),
    ('id,note,amount\n1,a,2.5\n2,b,3.5\n', [1, 2], []),
])
def test_csv_rows_and_rejected_lines_are_where_they_are_in_the_file(tmp_path, body, ids, lines):
    p = tmp_path / "t.csv"
    p.write_text(body)
    src = CsvSource("t", str(p))
    df = src.read()
    assert df["id"].tolist() == ids and src.rejected["line"].tolist() == lines
    physical = body.splitlines()
    assert all(physical[line - 1].startswith(text.split("\n")[0])
               for line, text in zip(src.rejected["line"], src.rejected["text"], strict=True))


def test_pandas_options_still_apply(tmp_path):
    """`nrows` reads fewer rows than the file holds; `comment` lines are not rows (Arrow keeps a
    comment line as a rejected line, with its line number)."""
    p = tmp_path / "t.csv"
    p.write_text("id,amount\n1,2.5\n2,3.5\n3,1.0\n")
    src = CsvSource("t", str(p), options={"nrows": 2})
    assert src.read()["id"].tolist() == [1, 2] and src.rejected.empty
    commented = tmp_path / "c.csv"
    commented.write_text("id,amount\n1,2.5\n# a note\n2,3.5\n")
    src = CsvSource("c", str(commented), options={"comment": "#"})
    assert src.read()["id"].tolist() == [1, 2] and src.rejected["line"].tolist() == [3]


def test_csv_in_another_encoding_is_named_then_read(tmp_path):
    p = tmp_path / "t.csv"
    p.write_bytes("id,city\n1,Köln\n2,Zürich,extra\n".encode("latin-1"))
    with pytest.raises(MlbpError, match="line 2 is not UTF-8") as err:
        CsvSource("t", str(p)).read()
    assert err.value.key == "data.source.encoding"
    src = CsvSource("t", str(p), encoding="latin-1")
    assert src.read()["city"].tolist() == ["Köln"] and src.rejected["line"].tolist() == [3]


def test_dates_parse_as_value_by_value_parsing_would():
    texts = ["2024-03-15T10:00:00+01:00", "03/15/2024 10:00", "Jan 31, 2024", None, "garbage",
             "2024-03-31 03:00:00+02:00", "2024-10-27 02:30:00-05:00", "2024-03-15", "15 March 2024"] * 3
    s = pd.Series(texts, dtype=object)
    expected = pd.to_datetime(s, errors="coerce", format="mixed", utc=True).dt.tz_localize(None)
    pd.testing.assert_series_equal(utc_times(s), expected)
    aware = pd.Series(pd.date_range("2024-01-01", periods=3, freq="D", tz="Europe/Berlin"))
    assert utc_times(aware).tolist() == [pd.Timestamp("2023-12-31 23:00")] + [
        pd.Timestamp("2024-01-01 23:00"), pd.Timestamp("2024-01-02 23:00")]


def test_label_keys_match_label_key_value_by_value():
    values = pd.Series([1, 1.0, "1", np.int64(1), True, " yes ", None, np.nan, 2.5, "b"], dtype=object)
    keys = label_keys(values)
    assert keys.tolist()[:6] == [label_key(v) for v in values[:6]] == ["1", "1", "1", "1", "True", "yes"]
    assert label_keys(pd.Series([True, False, None])).tolist() == ["True", "False", None]
    assert label_keys(pd.Series(["no", "yes", None, "no"])).tolist() == ["no", "yes", None, "no"]
    assert keys.iloc[6] is None and keys.iloc[7] is None
    assert keys.iloc[8] == "2.5" and keys.iloc[9] == "b"
    labels = Labels.learn(pd.Series(["no", "yes", "no"] * 1000), "binary")
    assert labels.encode(pd.Series(["yes", "no"])).tolist() == [1, 0]
    with pytest.raises(MlbpError, match="not trained on"):
        labels.encode(pd.Series(["yes", None, "maybe"]))


@pytest.mark.parametrize("seed", range(5))
def test_rank_formulas_equal_sklearn_and_scipy(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(400) < 0.3).astype(float)
    v = rng.integers(0, 6, 400).astype(float) + y  # many ties
    assert _auc(y, v) == pytest.approx(roc_auc_score(y, v), abs=1e-12)
    t = rng.normal(size=400)
    u = np.round(t + rng.normal(size=400))
    assert _spearman(u, t) == pytest.approx(spearmanr(u, t).statistic, abs=1e-12)
