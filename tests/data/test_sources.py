"""Sources: CSV (bad lines kept), Parquet file and hive folder, SQL over SQLite and DuckDB, combined."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from mlbp.data.sources import CombinedSource, CsvSource, ParquetSource, SqlSource
from mlbp.engine.errors import MlbpError, Reason


def _frame(n: int = 20) -> pd.DataFrame:
    return pd.DataFrame({"key": range(n), "city": ["x", "y"] * (n // 2), "amount": [i * 1.5 for i in range(n)],
                         "day": pd.date_range("2026-01-01", periods=n, freq="4D")})


def test_csv_keeps_unparseable_lines_with_their_line_numbers(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("key,city,amount\n1,x,2.5\n2,y,3.5,EXTRA\n3,x\n4,y,1.0\n\n5,x,9.0\n")
    src = CsvSource("orders", str(p))
    df = src.read()
    assert df["key"].tolist() == [1, 4, 5]
    assert src.rejected["line"].tolist() == [3, 4]
    assert src.rejected["text"].tolist() == ["2,y,3.5,EXTRA", "3,x"]
    assert src.rejected["reason"].tolist() == ["expected 3 fields, got 4", "expected 3 fields, got 2"]


def test_csv_parse_dates_and_delimiter(tmp_path):
    p = tmp_path / "a.csv"
    _frame().to_csv(p, sep=";", index=False)
    df = CsvSource("orders", str(p), delimiter=";", parse_dates=["day"]).read()
    assert pd.api.types.is_datetime64_any_dtype(df["day"]) and len(df) == 20


@pytest.mark.parametrize(("content", "delimiter", "key", "words"), [
    (None, ",", "data.source.path", "no file or folder"),
    ("", ",", "data.source.path", "is empty"),
    ("a,b,c\n", ",", "data.source.path", "no rows"),
    ("a;b;c\n1;2;3\n", ",", "data.source.delimiter", "delimited by ';'"),
    ("a\tb\n1\t2\n", ",", "data.source.delimiter", "delimited by"),
])
def test_csv_errors_name_the_source_and_the_problem(tmp_path, content, delimiter, key, words):
    p = tmp_path / "in.csv"
    if content is not None:
        p.write_text(content)
    with pytest.raises(MlbpError) as err:
        CsvSource("crm_export", str(p), delimiter=delimiter).read()
    assert err.value.reason == Reason.SOURCE and err.value.key == key
    assert "crm_export" in str(err.value) and words in str(err.value)


def test_parquet_file_and_hive_partitioned_folder(tmp_path):
    df = _frame()
    df.to_parquet(tmp_path / "one.parquet", index=False)
    assert ParquetSource("p", str(tmp_path / "one.parquet")).read().shape == (20, 4)
    ds.write_dataset(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "hive", format="parquet",
                     partitioning=["city"], partitioning_flavor="hive")
    assert (tmp_path / "hive" / "city=x").is_dir()
    back = ParquetSource("p", str(tmp_path / "hive")).read()
    assert len(back) == 20 and sorted(back["city"].astype(str).unique()) == ["x", "y"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(MlbpError, match="holds no .parquet files"):
        ParquetSource("p", str(tmp_path / "empty")).read()


def test_sql_over_sqlite_with_params(tmp_path):
    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as con:
        _frame().assign(day=lambda d: d["day"].astype(str)).to_sql("orders", con, index=False)
    src = SqlSource("orders", f"sqlite:///{db}", "SELECT * FROM orders WHERE amount >= :low", params={"low": 15},
                    parse_dates=["day"])
    df = src.read()
    assert len(df) == 10 and pd.api.types.is_datetime64_any_dtype(df["day"])


def test_sql_over_duckdb(tmp_path):
    import duckdb

    db = tmp_path / "lake.duckdb"
    con = duckdb.connect(str(db))
    frame = _frame()  # noqa: F841 - read by DuckDB's replacement scan
    con.execute("CREATE TABLE orders AS SELECT * FROM frame")
    con.close()
    df = SqlSource("orders", f"duckdb:///{db}", "SELECT city, sum(amount) AS total FROM orders GROUP BY city "
                   "ORDER BY city").read()
    assert df["city"].tolist() == ["x", "y"] and df["total"].sum() == pytest.approx(_frame()["amount"].sum())


def test_sql_errors_name_the_source(tmp_path):
    with pytest.raises(MlbpError) as err:
        SqlSource("crm", f"sqlite:///{tmp_path}/x.db", "SELECT * FROM missing_table").read()
    assert err.value.key == "data.source.query" and "crm" in str(err.value) and "missing_table" in str(err.value)
    with pytest.raises(MlbpError) as err:
        SqlSource("crm", "nosuchdb://user:secret@h/db", "SELECT 1").read()
    assert err.value.key == "data.source.url" and "secret" not in str(err.value)


def test_combined_sources_stack_and_join(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    _frame(10).to_csv(a, index=False)
    a.write_text(a.read_text() + "99,z\n")  # one bad line in the first part
    _frame(10).assign(key=lambda d: d["key"] + 100).to_csv(b, index=False)
    stacked = CombinedSource("all", [CsvSource("jan", str(a)), CsvSource("feb", str(b))], tag_column="part")
    df = stacked.read()
    assert len(df) == 20 and df["part"].value_counts().to_dict() == {"jan": 10, "feb": 10}
    assert stacked.rejected["reason"].tolist() == ["jan: expected 4 fields, got 2"]

    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as con:
        pd.DataFrame({"key": range(0, 10, 2), "segment": list("abcde")}).to_sql("customers", con, index=False)
    joined = CombinedSource("enriched", [CsvSource("orders", str(b.with_name("a.csv"))),
                                         SqlSource("crm", f"sqlite:///{db}", "SELECT * FROM customers")],
                            how="join", keys=["key"], join="left").read()
    assert len(joined) == 10 and joined["segment"].notna().sum() == 5
    with pytest.raises(MlbpError, match="repeat the join key"):
        CombinedSource("x", [CsvSource("o", str(a)), CsvSource("o2", str(a))], how="join", keys=["city"]).read()
