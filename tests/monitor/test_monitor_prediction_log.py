"""The prediction log: writes return at once, files appear on flush/close, partitions, masking."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from mlbp.engine.errors import MlbpError
from mlbp.monitor.masking import keyed_hash
from mlbp.monitor.prediction_log import PredictionLog
from mlbp.monitor.window import read_window

T0 = 1_790_000_000.0  # 2026-09-21 14:13:20 UTC


def rec(i: int, t: float, **extra) -> dict:
    return {"request_id": f"r{i}", "time": t, "model": "m", "version": 2, "variant": "champion",
            "inputs": {"x": float(i), "city": "a", "email": f"user{i}@example.com"},
            "outputs": {"probability": 0.1, "prediction": 0}, "latency_ms": 3.0, "shadow": False, **extra}


def parquet_files(root):
    return sorted(p for p in root.rglob("*.parquet"))


def test_write_is_buffered_and_close_flushes(tmp_path):
    log = PredictionLog(tmp_path, flush_seconds=3600, flush_rows=10**6)
    log.write([rec(i, T0 + i) for i in range(1000)])
    assert parquet_files(tmp_path) == []  # nothing touched disk on the caller's thread
    log.close()
    files = parquet_files(tmp_path)
    assert files and sum(len(pd.read_parquet(f)) for f in files) == 1000
    assert log.written["predictions"] == 1000
    with pytest.raises(MlbpError):
        log.write([rec(0, T0)])


def test_write_does_not_wait_for_a_slow_disk(tmp_path):
    """Even while a flush holds the writer busy, write() returns without waiting for it."""
    log = PredictionLog(tmp_path, flush_seconds=3600)
    gate = threading.Event()
    original = log._write_parquet

    def slow(kind, records, **kw):
        gate.wait(5)
        original(kind, records, **kw)

    log._write_parquet = slow
    log.write([rec(0, T0)])
    flusher = threading.Thread(target=log.flush)
    flusher.start()  # holds the write lock until the gate opens
    time.sleep(0.05)
    started = time.perf_counter()
    log.write([rec(i, T0 + i) for i in range(1, 500)])
    assert time.perf_counter() - started < 0.5  # did not wait for the 5 s disk
    gate.set()
    flusher.join()
    log.close()
    assert sum(len(pd.read_parquet(f)) for f in parquet_files(tmp_path)) == 500


def test_background_thread_flushes_without_close(tmp_path):
    log = PredictionLog(tmp_path, flush_seconds=0.1)
    log.write([rec(1, T0)])
    deadline = time.time() + 5
    while not parquet_files(tmp_path) and time.time() < deadline:
        time.sleep(0.05)
    assert parquet_files(tmp_path)
    log.close()


@pytest.mark.parametrize("partition,depth", [("hour", 2), ("day", 1)])
def test_files_are_partitioned(tmp_path, partition, depth):
    with PredictionLog(tmp_path, partition=partition) as log:
        log.write([rec(0, T0), rec(1, T0 + 3600), rec(2, T0 + 86400)])
    files = parquet_files(tmp_path / "predictions")
    parts = {f.relative_to(tmp_path / "predictions").parent.as_posix() for f in files}
    if partition == "hour":
        assert parts == {"model=m/date=2026-09-21/hour=14", "model=m/date=2026-09-21/hour=15",
                         "model=m/date=2026-09-22/hour=14"}
    else:
        assert parts == {"model=m/date=2026-09-21", "model=m/date=2026-09-22"}
    assert all(len(p.split("/")) == depth + 1 for p in parts)


def test_a_window_reads_only_its_models_columns(tmp_path):
    """Two projects sharing one state folder: one logs `age` as text, the other `Age` as a number.
    DuckDB's union_by_name folds names that differ only in case, so reading both models' files
    together renamed the second model's `Age` to `age` and its monitor found the column missing
    (and its report crashed)."""
    with PredictionLog(tmp_path) as log:
        log.write([{"request_id": "a", "time": T0, "model": "clinic", "version": 1, "inputs": {"age": "unknown"},
                    "outputs": {"prediction": 0}, "latency_ms": 1.0, "shadow": False}])
        log.write([{"request_id": "b", "time": T0 + 1, "model": "attrition", "version": 1,
                    "inputs": {"Age": 41, "Role": "Sales"}, "outputs": {"prediction": 1}, "latency_ms": 1.0,
                    "shadow": False}])
    df = read_window(tmp_path, "attrition", 0, T0 + 10)
    assert list(df["request_id"]) == ["b"] and df["in.Age"].tolist() == [41] and "in.age" not in df.columns
    assert read_window(tmp_path, "clinic", 0, T0 + 10)["in.age"].tolist() == ["unknown"]


def test_files_written_before_the_model_folders_are_still_read(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    old = tmp_path / "predictions" / "date=2026-09-21" / "hour=14"
    old.mkdir(parents=True)
    pq.write_table(pa.table({"request_id": ["old"], "time": [T0], "model": ["m"], "version": [2],
                             "shadow": [False], "in.x": [1.0]}), old / "part-old.parquet")
    with PredictionLog(tmp_path) as log:
        log.write([rec(1, T0 + 5)])
    assert read_window(tmp_path, "m", 0, T0 + 10)["request_id"].tolist() == ["old", "r1"]


def test_masked_and_denied_columns_never_reach_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("MLBP_MASK_KEY", "secret")
    with PredictionLog(tmp_path, classifications={"email": "pii", "city": "sensitive"},
                       rules={"pii": "mask", "sensitive": "deny"}) as log:
        log.write([rec(7, T0)])
    df = pd.concat(pd.read_parquet(f) for f in parquet_files(tmp_path))
    assert df["in.email"].iloc[0] == keyed_hash("user7@example.com", b"secret")
    assert "in.city" not in df.columns
    raw = b"".join(f.read_bytes() for f in parquet_files(tmp_path))
    assert b"user7@example.com" not in raw


def test_feedback_joins_predictions_by_request_id(tmp_path):
    with PredictionLog(tmp_path) as log:
        log.write([rec(i, T0 + i) for i in range(10)])
        log.write_feedback([{"request_id": "r3", "time": T0 + 100, "label": 1},
                            {"request_id": "r4", "time": T0 + 100, "reward": 0.5}])
        with pytest.raises(MlbpError):
            log.write_feedback([{"request_id": "r5"}])
    df = read_window(tmp_path, "m", T0, T0 + 1000)
    assert len(df) == 10
    got = df.set_index("request_id")
    assert got.loc["r3", "label"] == 1 and pd.isna(got.loc["r2", "label"])
    assert got.loc["r4", "reward"] == 0.5
    newest = read_window(tmp_path, "m", 0, T0 + 1000, last_rows=3)
    assert list(newest["request_id"]) == ["r7", "r8", "r9"]


def test_mixed_types_and_new_columns_across_records_are_kept(tmp_path):
    with PredictionLog(tmp_path) as log:
        log.write([rec(1, T0), rec(2, T0 + 1, error="timeout")])
        log.write([{**rec(3, T0 + 2), "inputs": {"x": "not a number", "extra": 5}}])
    df = read_window(tmp_path, "m", T0, T0 + 10).set_index("request_id")
    assert df.loc["r2", "error"] == "timeout" and pd.isna(df.loc["r1", "error"])
    assert str(df.loc["r3", "in.x"]) == "not a number" and float(df.loc["r1", "in.x"]) == 1.0
    assert df.loc["r3", "in.extra"] == 5 and pd.isna(df.loc["r1", "in.extra"])


def test_mask_key_file_is_stable_and_unruled_classes_are_denied(tmp_path, monkeypatch):
    from mlbp.monitor.masking import Masker, policy_columns

    monkeypatch.delenv("MLBP_MASK_KEY", raising=False)
    a = Masker(["email"], key_file=tmp_path / "mask.key")
    b = Masker(["email"], key_file=tmp_path / "mask.key")
    assert a({"email": "x@y.z"}) == b({"email": "x@y.z"})  # the same key across processes/restarts
    assert (tmp_path / "mask.key").stat().st_mode & 0o777 == 0o600
    mask, deny = policy_columns({"email": "pii", "notes": "secret", "city": "public"}, {"pii": "mask"})
    assert mask == ["email"] and deny == ["notes"]


def test_window_time_range_from_config():
    from mlbp.monitor.window import time_range

    assert time_range(last_hours=2, now=10_000.0) == (10_000.0 - 7200, 10_000.0)
    assert time_range("2026-09-21T14:00", "2026-09-21T15:00") == (1_789_999_200.0, 1_790_002_800.0)
    assert time_range(None, 5000, last_hours=1) == (1400.0, 5000.0)
    assert time_range(now=42.0) == (0.0, 42.0)
    with pytest.raises(MlbpError) as err:
        time_range("yesterday-ish")
    assert err.value.key == "monitor.window.start"
