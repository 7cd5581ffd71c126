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
from typing import TYPE_CHECKING, Any

from mlbp.contracts.times import utc_times
from mlbp.engine.errors import MlbpError, Reason

if TYPE_CHECKING:
    import pandas as pd


def dates_or_text(s: pd.Series) -> pd.Series:
    """The column as UTC timestamps when every value present parses as a date; otherwise as it
    is, so a value like "not a date" is not silently missing: the contract's datetime type then
    parses it value by value and quarantines that row, naming the column (contracts.coerce)."""
    parsed = utc_times(s)
    if parsed.isna().sum() == s.isna().sum():
        return parsed
    present = s.notna() & s.astype(str).str.strip().ne("")
    return parsed if not (present & parsed.isna()).any() else s


class CsvSource:
    """A CSV (or other delimited) file, read through mlbp.io.text_table: the encoding and, when
    `delimiter` is null, the delimiter are sniffed; `parse_dates` lists timestamp columns; other
    options go to pandas.read_csv, which types the columns.

    Lines that cannot be split into the header's columns are not parsed and not dropped: they are
    kept in `self.rejected` (physical line number, text, reason) for the validate stage to
    quarantine. No other row moves: a quoted field over several lines or a blank line before a
    ragged one changes nothing."""

    def __init__(self, name: str, path: str, delimiter: str | None = ",", parse_dates: list[str] | None = None,
                 options: dict[str, Any] | None = None, encoding: str | None = None) -> None:
        self.name = name
        self.path = path
        self.delimiter = delimiter
        self.parse_dates = parse_dates or []
        self.options = options or {}
        self.encoding = encoding
        self.rejected: pd.DataFrame | None = None

    def read(self) -> pd.DataFrame:
        df, self.rejected, text = read_delimited(
            _existing(self.path, self.name), f"source '{self.name}' file", self.delimiter, self.encoding,
            self.options, keys={"path": "data.source.path", "delimiter": "data.source.delimiter",
                                "encoding": "data.source.encoding", "options": "data.source.options"})
        self.sniffed = {"delimiter": text.delimiter, "encoding": text.encoding}  # what `mlbp init` writes down
        for col in self.parse_dates:
            if col not in df.columns:
                raise MlbpError(f"source '{self.name}': date column '{col}' not in {self.path}",
                                reason=Reason.SOURCE, key="data.source.parse_dates",
                                expected=list(df.columns), got=col)
            df[col] = dates_or_text(df[col])
        return df

    def describe(self) -> dict[str, Any]:
        return {"kind": "csv", "name": self.name, "path": self.path, "delimiter": self.delimiter}


def read_delimited(path: Path, what: str, delimiter: str | None = None, encoding: str | None = None,
                   options: dict[str, Any] | None = None, keys: dict[str, str] | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """A delimited text file through mlbp.io.text_table, typed by pandas: (rows, rejected lines
    as a frame of line, text, reason, the TextTable). Shared by ingest, `mlbp init` and feedback
    import. pandas types the well-formed rows (its inference and `options`, read_csv's keywords):
    from the file itself when nothing was rejected and pandas finds the same rows, else from the
    rows Arrow kept, written back as CSV, so no rejected line can shift another."""
    import io

    import pandas as pd
    import pyarrow.csv as pc

    from mlbp.io.text_table import TextTable

    keys = keys or {}
    text = TextTable(path, what=what, key=keys.get("path", "input"), delimiter=delimiter, encoding=encoding,
                     keys=keys)
    good = text.read_all(nulls=False)
    rejected = pd.DataFrame({"line": pd.array([r.line for r in text.rejected], dtype="int64"),
                             "text": pd.array([r.text for r in text.rejected], dtype="str"),
                             "reason": pd.array([r.reason for r in text.rejected], dtype="str")})
    options = options or {}
    kw = {"sep": text.delimiter, **options}
    try:
        if not text.rejected:
            df = pd.read_csv(text.path, encoding=text.encoding, compression=text.compression, **kw)
            if len(df) == good.num_rows or "nrows" in options:
                return df, rejected, text
        buf = io.BytesIO()
        pc.write_csv(good, buf, write_options=pc.WriteOptions(delimiter=text.delimiter))
        buf.seek(0)
        return pd.read_csv(buf, **kw), rejected, text
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise MlbpError(f"{what} {path}: cannot parse: {str(exc).splitlines()[0]}", reason=Reason.SOURCE,
                        key=keys.get("options", keys.get("path", "input")),
                        fix="check the read_csv options") from None


class ParquetSource:
    """A Parquet file or a (hive-partitioned) folder of Parquet files. `parse_dates` lists columns
    that hold dates as text (read as naive UTC timestamps, zones converted)."""

    def __init__(self, name: str, path: str, columns: list[str] | None = None,
                 parse_dates: list[str] | None = None) -> None:
        self.name = name
        self.path = path
        self.columns = columns
        self.parse_dates = parse_dates or []

    def read(self) -> pd.DataFrame:
        import pandas as pd

        path = _existing(self.path, self.name)
        if path.is_dir() and not any(path.rglob("*.parquet")):
            raise MlbpError(f"source '{self.name}': folder {path} holds no .parquet files", reason=Reason.SOURCE,
                            key="data.source.path", expected="a .parquet file or a folder of them", got="empty folder")
        try:
            df = pd.read_parquet(path, columns=self.columns)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds
            raise MlbpError(f"source '{self.name}': cannot read Parquet at {path}: {exc}",
                            reason=Reason.SOURCE, key="data.source.path") from exc
        if df.empty:
            raise MlbpError(f"source '{self.name}': {path} holds no rows", reason=Reason.SOURCE,
                            key="data.source.path", expected="at least one row", got="0 rows")
        for col in self.parse_dates:
            if col not in df.columns:
                raise MlbpError(f"source '{self.name}': parse_dates names '{col}', not a column of {path}",
                                reason=Reason.SOURCE, key="data.source.parse_dates", expected=list(df.columns), got=col)
            if not pd.api.types.is_datetime64_any_dtype(df[col]):
                df[col] = dates_or_text(df[col])
        return df

    def describe(self) -> dict[str, Any]:
        return {"kind": "parquet", "name": self.name, "path": self.path}


def _existing(path: str, name: str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise MlbpError(f"source '{name}': no file or folder at {p}", reason=Reason.SOURCE,
                        key="data.source.path", expected="an existing path", got=str(p),
                        fix="fix the path (relative paths are taken from the folder you run mlbp in)")
    return p


class SqlSource:
    """A SQL query over any SQLAlchemy URL (SQLite, DuckDB via duckdb_engine, PostgreSQL, ...).

    `conf/data/sql.yaml`::

        source:
          _target_: mlbp.data.sources.SqlSource
          name: offers
          url: sqlite:///crm.db
          query: SELECT * FROM offers WHERE sent_at >= :since
          params: {since: "2026-01-01"}
    """

    def __init__(self, name: str, url: str, query: str, params: dict[str, Any] | None = None,
                 parse_dates: list[str] | None = None) -> None:
        self.name = name
        self.url = url
        self.query = query
        self.params = params or {}
        self.parse_dates = parse_dates or []

    def read(self) -> pd.DataFrame:
        import pandas as pd
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

        try:
            engine = create_engine(self.url)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise MlbpError(f"source '{self.name}': cannot use database URL: {exc}", reason=Reason.SOURCE,
                            key="data.source.url", got=_redact_url(self.url),
                            fix="a SQLAlchemy URL such as sqlite:///file.db or duckdb:///file.duckdb") from exc
        try:
            with engine.connect() as conn:
                df = pd.read_sql(text(self.query), conn, params=self.params, parse_dates=self.parse_dates or None)
        except (SQLAlchemyError, pd.errors.DatabaseError) as exc:
            root = exc.__cause__ if isinstance(exc, pd.errors.DatabaseError) and exc.__cause__ else exc
            cause = str(getattr(root, "orig", None) or root).splitlines()[0]
            raise MlbpError(f"source '{self.name}': the query failed on {_redact_url(self.url)}: {cause}",
                            reason=Reason.SOURCE, key="data.source.query", got=self.query.strip()[:200],
                            fix="check the query and that the tables exist") from exc
        finally:
            engine.dispose()
        if df.empty:
            raise MlbpError(f"source '{self.name}': the query returned no rows", reason=Reason.SOURCE,
                            key="data.source.query", expected="at least one row", got="0 rows")
        return df

    def fingerprint(self) -> dict[str, Any]:
        """A database can change under the same query, so a SQL source is read on every run; the
        raw artifact's content hash then keeps everything downstream cached when nothing moved."""
        import time

        return {"volatile": time.time_ns()}

    def describe(self) -> dict[str, Any]:
        return {"kind": "sql", "name": self.name, "url": _redact_url(self.url), "query": self.query}


class CombinedSource:
    """Several sources made into one dataset: `how: stack` (rows appended, columns aligned by name)
    or `how: join` (merged on the `keys` columns, `join: inner|left|outer`; the parameter is not
    called `on` because YAML 1.1 reads a bare `on:` key as the boolean true). Unparseable lines of every part
    are kept, tagged with the part's name.

    `conf/data/combined.yaml`::

        source:
          _target_: mlbp.data.sources.CombinedSource
          name: offers
          how: join
          keys: [customer_id]
          parts:
            - {_target_: mlbp.data.sources.CsvSource, name: offers, path: offers.csv}
            - {_target_: mlbp.data.sources.SqlSource, name: crm, url: "sqlite:///crm.db",
               query: SELECT * FROM customers}
    """

    def __init__(self, name: str, parts: list[Any], how: str = "stack", keys: list[str] | None = None,
                 join: str = "inner", tag_column: str | None = None) -> None:
        self.name = name
        self.parts = list(parts)
        self.how = how
        self.keys = list(keys or [])
        self.join = join
        self.tag_column = tag_column
        self.rejected: pd.DataFrame | None = None

    def read(self) -> pd.DataFrame:
        import pandas as pd

        if self.how not in ("stack", "join"):
            raise MlbpError("unknown way to combine sources", reason=Reason.CONFIG, key="data.source.how",
                            expected="stack | join", got=self.how)
        if not self.parts:
            raise MlbpError("no sources to combine", reason=Reason.CONFIG, key="data.source.parts",
                            expected="a list of sources", got=[])
        frames = []
        rejected = []
        for part in self.parts:
            df = part.read()
            if self.tag_column:
                df[self.tag_column] = part.name
            frames.append(df)
            bad = getattr(part, "rejected", None)
            if bad is not None and len(bad):
                rejected.append(bad.assign(reason=f"{part.name}: " + bad["reason"].astype(str)))
        self.rejected = pd.concat(rejected, ignore_index=True) if rejected else None
        if self.how == "stack":
            return pd.concat(frames, ignore_index=True)
        return self._join(frames)

    def _join(self, frames: list[pd.DataFrame]) -> pd.DataFrame:
        if not self.keys:
            raise MlbpError("a join needs key columns", reason=Reason.CONFIG, key="data.source.keys",
                            expected="a list of column names", got=self.keys)
        if self.join not in ("inner", "left", "outer"):
            raise MlbpError("unknown join", reason=Reason.CONFIG, key="data.source.join",
                            expected="inner | left | outer", got=self.join)
        out = frames[0]
        for part, df in zip(self.parts[1:], frames[1:], strict=True):
            missing = [c for c in self.keys if c not in df.columns or c not in out.columns]
            if missing:
                raise MlbpError(f"source '{part.name}': join keys {missing} are missing", reason=Reason.SOURCE,
                                key="data.source.keys", expected=self.keys, got=list(df.columns))
            dup = df.duplicated(self.keys).sum()
            if dup:
                raise MlbpError(f"source '{part.name}': {dup} rows repeat the join key {self.keys}, which would "
                                "multiply rows", reason=Reason.SOURCE, key="data.source.keys",
                                fix="deduplicate that source or join on a unique key")
            out = out.merge(df, on=self.keys, how=self.join, suffixes=("", f"_{part.name}"))
        return out

    def fingerprint(self) -> list[Any]:
        """The parts' own state, so editing any one part re-ingests the combination."""
        from mlbp.data.ingest import source_state

        return [source_state(part) for part in self.parts]

    def describe(self) -> dict[str, Any]:
        return {"kind": "combined", "name": self.name, "how": self.how, "keys": self.keys, "join": self.join,
                "parts": [p.describe() for p in self.parts]}


def _redact_url(url: str) -> str:
    """A URL without its password, for messages and the catalog (mlbp.engine.secrets)."""
    from mlbp.engine.secrets import redact_text

    return redact_text(url)
