"""Sources: where a dataset comes from. Each has `name`, `read() -> DataFrame` and `describe()`.

A new kind of source is a class with those three members and a YAML file whose `_target_`
names it, e.g. `conf/data/csv.yaml`::

    source:
      _target_: mlbp.data.sources.CsvSource
      name: offers
      path: data/offers.csv
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mlbp.engine.errors import MlbpError, Reason


class ExampleSource:
    """The bundled restaurant-offers example, generated deterministically from a seed."""

    def __init__(self, name: str = "restaurant_offers", n_rows: int = 50_000, seed: int = 7,
                 start: str = "2026-01-01", months: int = 7) -> None:
        self.name = name
        self.n_rows = n_rows
        self.seed = seed
        self.start = start
        self.months = months

    def read(self) -> pd.DataFrame:
        from mlbp.data.example import generate

        return generate(n_rows=self.n_rows, seed=self.seed, start=self.start, months=self.months)

    def describe(self) -> dict[str, Any]:
        return {"kind": "example", "name": self.name, "n_rows": self.n_rows, "seed": self.seed}


class CsvSource:
    """A CSV file. `parse_dates` lists timestamp columns; other options go to pandas.read_csv."""

    def __init__(self, name: str, path: str, delimiter: str = ",", parse_dates: list[str] | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.name = name
        self.path = path
        self.delimiter = delimiter
        self.parse_dates = parse_dates or []
        self.options = options or {}

    def read(self) -> pd.DataFrame:
        path = _existing(self.path, self.name)
        if path.stat().st_size == 0:
            raise MlbpError(f"source '{self.name}': file {path} is empty", reason=Reason.SOURCE,
                            key="data.source.path", expected="a CSV with a header row", got="0 bytes")
        try:
            df = pd.read_csv(path, sep=self.delimiter, **self.options)
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise MlbpError(f"source '{self.name}': cannot parse {path}: {exc}", reason=Reason.SOURCE,
                            key="data.source", fix="check the delimiter and encoding") from exc
        for col in self.parse_dates:
            if col not in df.columns:
                raise MlbpError(f"source '{self.name}': date column '{col}' not in {path}",
                                reason=Reason.SOURCE, key="data.source.parse_dates",
                                expected=list(df.columns), got=col)
            df[col] = pd.to_datetime(df[col], errors="coerce")
        return df

    def describe(self) -> dict[str, Any]:
        return {"kind": "csv", "name": self.name, "path": self.path}


class ParquetSource:
    """A Parquet file or a (hive-partitioned) folder of Parquet files."""

    def __init__(self, name: str, path: str, columns: list[str] | None = None) -> None:
        self.name = name
        self.path = path
        self.columns = columns

    def read(self) -> pd.DataFrame:
        path = _existing(self.path, self.name)
        try:
            return pd.read_parquet(path, columns=self.columns)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds
            raise MlbpError(f"source '{self.name}': cannot read Parquet at {path}: {exc}",
                            reason=Reason.SOURCE, key="data.source.path") from exc

    def describe(self) -> dict[str, Any]:
        return {"kind": "parquet", "name": self.name, "path": self.path}


def _existing(path: str, name: str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise MlbpError(f"source '{name}': no file or folder at {p}", reason=Reason.SOURCE,
                        key="data.source.path", expected="an existing path", got=str(p),
                        fix="fix the path (relative paths are taken from the folder you run mlbp in)")
    return p
