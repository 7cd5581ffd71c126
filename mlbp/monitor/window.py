"""Read one monitoring window out of the Parquet prediction log with DuckDB (out of core).

DuckDB scans the hive-partitioned files, filters by model, time range and row limit, and joins
feedback by request_id; only the window's rows ever reach pandas. Aggregates that do not need
rows (latency percentiles, throughput) are computed in SQL over the same scan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mlbp.engine.errors import MlbpError, Reason


@dataclass
class Window:
    """What every monitor reads: the rows of the window plus the reference it is judged against."""

    frame: pd.DataFrame  # predictions (served and shadow) with `label`/`reward` joined where known
    start: float
    end: float
    manifest: dict[str, Any]  # the bundle manifest (signature, metrics, threshold)
    profile: dict[str, Any]  # the bundle's reference profile (profile.json)
    contract: dict[str, Any] = field(default_factory=dict)
    state_dir: Path | None = None  # where monitors keep history between runs (persistence, baselines)
    server_counts: dict[str, float] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.start:.3f}-{self.end:.3f}"

    @property
    def served(self) -> pd.DataFrame:
        """Rows whose answer was returned to a caller (shadow predictions excluded)."""
        return self.frame[~self.frame["shadow"].astype(bool)] if len(self.frame) else self.frame

    def inputs(self, frame: pd.DataFrame | None = None) -> pd.DataFrame:
        f = self.served if frame is None else frame
        return f[[c for c in f.columns if c.startswith("in.")]].rename(columns=lambda c: c[3:])

    def outputs(self, frame: pd.DataFrame | None = None) -> pd.DataFrame:
        f = self.served if frame is None else frame
        return f[[c for c in f.columns if c.startswith("out.")]].rename(columns=lambda c: c[4:])


def _glob(root: Path, kind: str) -> str | None:
    folder = root / kind
    if not folder.exists() or not any(folder.rglob("*.parquet")):
        return None
    return _sql_path(folder / "**" / "*.parquet")


def _prediction_files(root: Path, model: str | None) -> list[str]:
    """The prediction files a window of `model` reads: its own folder (model=<name>/...) and files
    written before the log had one folder per model (date=.../ directly under predictions/)."""
    from mlbp.monitor.prediction_log import model_folder

    folder = root / "predictions"
    if not folder.exists():
        return []
    places = [model_folder(folder, model)] if model else [p for p in folder.glob("model=*") if p.is_dir()]
    places += [p for p in folder.glob("date=*") if p.is_dir()]
    return [_sql_path(p / "**" / "*.parquet") for p in places if any(p.rglob("*.parquet"))]


def _sql_path(path: Path) -> str:
    return path.as_posix().replace("'", "''")  # quoted into SQL below


def _parse_time(value: Any, key: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return pd.Timestamp(value, tz="UTC").timestamp() if pd.Timestamp(value).tzinfo is None \
            else pd.Timestamp(value).timestamp()
    except ValueError as exc:
        raise MlbpError(f"cannot read time '{value}'", reason=Reason.CONFIG, key=key,
                        expected="epoch seconds or an ISO time like 2026-11-27T13:00", got=value) from exc


def time_range(start: Any = None, end: Any = None, last_hours: float | None = None,
               now: float | None = None) -> tuple[float, float]:
    """(start, end) epoch seconds from a config window; defaults to everything up to now."""
    now = time.time() if now is None else now
    t_end = _parse_time(end, "monitor.window.end") or now
    t_start = _parse_time(start, "monitor.window.start")
    if last_hours is not None:
        t_start = t_end - float(last_hours) * 3600.0
    return (t_start if t_start is not None else 0.0), t_end


def read_window(root: str | Path, model: str | None, start: float, end: float, last_rows: int | None = None,
                version: str | None = None) -> pd.DataFrame:
    """Predictions of `model` in [start, end] (newest `last_rows` if set), feedback joined by request_id."""
    import duckdb

    root = Path(root)
    preds = _prediction_files(root, model)
    if not preds:
        return pd.DataFrame(columns=["request_id", "time", "model", "version", "variant", "latency_ms", "shadow"])
    where = ["time >= ? AND time <= ?"]
    params: list[Any] = [start, end]
    if model:
        where.append("model = ?")
        params.append(model)
    if version is not None:
        where.append("CAST(version AS VARCHAR) = ?")
        params.append(str(version))
    limit = f" ORDER BY time DESC LIMIT {int(last_rows)}" if last_rows else ""
    files = ", ".join(f"'{p}'" for p in preds)
    scan = f"read_parquet([{files}], union_by_name=true, hive_partitioning=false)"
    sql = f"SELECT * FROM {scan} WHERE {' AND '.join(where)}{limit}"
    fb = _glob(root, "feedback")
    con = duckdb.connect()
    try:
        if fb is not None:
            fscan = f"read_parquet('{fb}', union_by_name=true, hive_partitioning=false)"
            cols = {r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {fscan}").fetchall()}
            label = "last(label ORDER BY time)" if "label" in cols else "NULL"
            reward = "last(reward ORDER BY time)" if "reward" in cols else "NULL"
            sql = (f"WITH p AS ({sql}), f AS (SELECT request_id, {label} AS label, {reward} AS reward, "
                   f"max(time) AS feedback_time FROM {fscan} GROUP BY request_id) "
                   "SELECT p.*, f.label, f.reward, f.feedback_time FROM p LEFT JOIN f USING (request_id)")
        df = con.execute(sql, params).df()
    finally:
        con.close()
    if "shadow" in df.columns:
        df["shadow"] = df["shadow"].fillna(False).astype(bool)
    return df.sort_values("time", kind="stable").reset_index(drop=True)
