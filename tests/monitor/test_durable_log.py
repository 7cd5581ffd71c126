"""The prediction log survives a hard kill: records are in an fsynced journal within `sync_ms`,
a killed log's journal is written to Parquet by the next log opened on the same root (once, even
if the kill came between the Parquet write and the journal's removal), a live log's journal is
never taken, and the journal holds only masked values."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd

from mlbp.monitor.prediction_log import PredictionLog

T0 = 1_764_000_000.0
EMAIL = "someone.{i}@example.com"


def rec(i: int) -> dict:
    return {"request_id": f"r{i}", "time": T0 + i, "model": "m", "version": "1", "variant": "champion",
            "inputs": {"age": i % 90, "email": EMAIL.format(i=i)}, "outputs": {"prediction": i % 2},
            "latency_ms": 1.0}


def rows_in(root: Path) -> pd.DataFrame:
    files = sorted((root / "predictions").rglob("*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files]) if files else pd.DataFrame()


def segments(root: Path) -> list[Path]:
    return sorted((root / "_wal").glob("segment-*.jsonl"))


def killed(root: Path, n: int, after: str = "time.sleep(0.3)") -> None:
    """A process that logs n records and is then SIGKILLed (`after` runs before the kill)."""
    script = textwrap.dedent(f"""
        import os, signal, sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_durable_log import rec
        from mlbp.monitor.prediction_log import PredictionLog
        from mlbp.monitor import journal
        log = PredictionLog({str(root)!r}, flush_seconds=3600, mask_columns=["email"])
        for i in range(0, {n}, 100):
            log.write([rec(j) for j in range(i, min(i + 100, {n}))])
        {after}
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], env={**os.environ, "MLBP_MASK_KEY": "k" * 32},
                          capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()


def test_a_record_is_on_disk_within_sync_ms(tmp_path, monkeypatch):
    monkeypatch.setenv("MLBP_MASK_KEY", "k" * 32)
    log = PredictionLog(tmp_path, flush_seconds=3600, mask_columns=["email"], sync_ms=100)
    log.write([rec(i) for i in range(100)])
    time.sleep(0.15)
    journaled = b"".join(p.read_bytes() for p in segments(tmp_path))
    assert journaled.count(b"\n") == 100 and rows_in(tmp_path).empty  # in the journal, not yet in Parquet
    assert b"example.com" not in journaled  # masked before it touched the disk
    log.close()
    assert len(rows_in(tmp_path)) == 100 and segments(tmp_path) == []  # flushed: the journal is gone


def test_a_killed_log_is_written_to_parquet_by_the_next_one_once(tmp_path, monkeypatch):
    monkeypatch.setenv("MLBP_MASK_KEY", "k" * 32)
    killed(tmp_path, 2000)
    assert rows_in(tmp_path).empty and len(segments(tmp_path)) == 1
    assert b"example.com" not in segments(tmp_path)[0].read_bytes()
    log = PredictionLog(tmp_path, flush_seconds=3600, mask_columns=["email"])
    assert log.recovered == {"predictions": 2000, "feedback": 0, "torn_lines": 0}
    log.close()
    got = rows_in(tmp_path)
    assert sorted(got["request_id"]) == sorted(f"r{i}" for i in range(2000))
    assert not got["in.email"].str.contains("example.com").any()
    again = PredictionLog(tmp_path, flush_seconds=3600, mask_columns=["email"])
    assert again.recovered["predictions"] == 0
    again.close()
    assert len(rows_in(tmp_path)) == 2000 and segments(tmp_path) == []


def test_a_kill_between_parquet_and_journal_removal_does_not_double(tmp_path, monkeypatch):
    monkeypatch.setenv("MLBP_MASK_KEY", "k" * 32)
    # the flush writes its Parquet parts, then the process dies before deleting the segment
    killed(tmp_path, 700, after="time.sleep(0.2); journal.Segment.remove = lambda self: "
                                "os.kill(os.getpid(), signal.SIGKILL); log.flush()")
    assert len(rows_in(tmp_path)) == 700
    assert sorted(s.stat().st_size > 0 for s in segments(tmp_path)) == [False, True]  # flushed + a new empty one
    log = PredictionLog(tmp_path, flush_seconds=3600, mask_columns=["email"])
    assert log.recovered["predictions"] == 700
    log.close()
    got = rows_in(tmp_path)
    assert len(got) == 700 and got["request_id"].is_unique  # the same parts were replaced, not added


def test_a_torn_last_line_is_skipped_and_counted(tmp_path):
    killed(tmp_path, 300)
    with open(segments(tmp_path)[0], "ab") as fh:
        fh.write(b'{"k":"p","r":{"request_id":"half')  # a write the kill cut short
    log = PredictionLog(tmp_path, flush_seconds=3600)
    assert log.recovered == {"predictions": 300, "feedback": 0, "torn_lines": 1}
    log.close()
    assert len(rows_in(tmp_path)) == 300


def test_a_live_logs_journal_is_never_taken(tmp_path):
    first = PredictionLog(tmp_path, flush_seconds=3600)
    first.write([rec(i) for i in range(50)])
    time.sleep(0.15)
    second = PredictionLog(tmp_path, flush_seconds=3600)  # e.g. a second server on the same folder
    assert second.recovered["predictions"] == 0
    second.close()
    first.close()
    assert len(rows_in(tmp_path)) == 50
