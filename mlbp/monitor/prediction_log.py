"""The prediction log: every prediction and every piece of feedback as partitioned Parquet.

`PredictionLog` is the sink the REST server and the batch scorer hand records to. `write()` only
appends to an in-memory buffer under a lock (microseconds), so logging never blocks a request; a
background thread flushes the buffer to Parquet every `flush_seconds` or as soon as it holds
`flush_rows` records, and `close()` flushes what is left. Files land in hive partitions::

    <root>/predictions/model=<name>/date=2026-11-27/hour=13/part-<uuid>.parquet
    <root>/feedback/date=2026-11-27/hour=13/part-<uuid>.parquet

(`partition: day` drops the hour level.) Inputs and outputs are flattened into `in.<column>` and
`out.<column>` columns so DuckDB reads the whole log out of core with `union_by_name`.

Durability (`sync_ms`, default 100): every record also goes to an fsynced write-ahead journal
(mlbp.monitor.journal), so a record is on disk at most `sync_ms` after it was logged even if the
process is killed; the next log opened on the same root writes what a dead one left to Parquet.

YAML (conf/monitor/default.yaml)::

    prediction_log:
      _target_: mlbp.monitor.prediction_log.PredictionLog
      root: ${paths.state}/predictions
      partition: hour
      mask_columns: []                            # always hashed (keyed) before anything is written
      classifications: ${governance.classifications}   # + the team's governance rules:
      rules: ${governance.teams.${team}.rules}         #   mask -> keyed hash, deny -> dropped
      mask_key_env: MLBP_MASK_KEY                  # the key: this env var, else mask_key_file
      mask_key_file: ${paths.state}/mask.key
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mlbp.engine.errors import MlbpError, Reason
from mlbp.monitor.journal import Journal, fsync_dir, orphans
from mlbp.monitor.masking import Masker, policy_columns

log = logging.getLogger("mlbp.monitor.log")

PREDICTION_FIELDS = ("request_id", "time", "model", "version", "variant", "latency_ms", "shadow", "error")
FEEDBACK_FIELDS = ("request_id", "time", "label", "reward")


class PredictionLog:
    """Buffered, background-flushed Parquet sink for predictions and feedback (thread-safe)."""

    def __init__(self, root: str | Path, partition: str = "hour", flush_rows: int = 5000, flush_seconds: float = 1.0,
                 mask_columns: list[str] | None = None, mask_key_env: str = "MLBP_MASK_KEY",
                 masker: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 classifications: dict[str, str] | None = None, rules: dict[str, str] | None = None,
                 mask_key_file: str | Path | None = None,
                 max_buffer_rows: int = 1_000_000, sync_ms: float | None = 100.0) -> None:
        if partition not in ("hour", "day"):
            raise MlbpError("unknown prediction log partition", key="monitor.prediction_log.partition",
                            expected="hour | day", got=partition)
        self.root = Path(root)
        self.partition = partition
        self.flush_rows = int(flush_rows)
        self.flush_seconds = float(flush_seconds)
        self.max_buffer_rows = int(max_buffer_rows)
        policy_mask, policy_deny = policy_columns(classifications, rules)
        self.masker = masker or Masker([*(mask_columns or []), *policy_mask], key_env=mask_key_env, drop=policy_deny,
                                       key_file=mask_key_file)
        self._buffers: dict[str, list[dict[str, Any]]] = {"predictions": [], "feedback": []}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._write_lock = threading.Lock()  # one flush at a time (background thread or close)
        self.written = {"predictions": 0, "feedback": 0}
        self.dropped = 0
        self.sync_seconds = float(sync_ms) / 1000.0 if sync_ms else 0.0
        self.journal: Journal | None = None
        self.recovered = {"predictions": 0, "feedback": 0, "torn_lines": 0}
        if self.sync_seconds:
            if self.sync_seconds > 10:
                raise MlbpError("sync_ms is in milliseconds", key="monitor.prediction_log.sync_ms",
                                expected="e.g. 100 (0 turns the journal off)", got=sync_ms)
            self.journal = Journal(self.root / "_wal", self._prepare)
            self._recover()
        self._thread = threading.Thread(target=self._loop, name="mlbp-prediction-log", daemon=True)
        self._thread.start()
        self._syncer: threading.Thread | None = None
        if self.journal is not None:
            self._syncer = threading.Thread(target=self._sync_loop, name="mlbp-prediction-journal", daemon=True)
            self._syncer.start()

    # -- the sink protocol the server calls -------------------------------------------------
    def write(self, records: list[dict[str, Any]]) -> None:
        """Queue prediction records; never does I/O on the caller's thread."""
        self._queue("predictions", records)

    def write_feedback(self, records: list[dict[str, Any]]) -> None:
        """Queue feedback records (request_id, time, label and/or reward)."""
        for r in records:
            if r.get("request_id") in (None, ""):
                raise MlbpError("feedback record without request_id", reason=Reason.INPUT, key="request_id",
                                expected="the request_id a prediction returned", got=r)
            if r.get("label") is None and r.get("reward") is None:
                raise MlbpError("feedback record needs a label or a reward", reason=Reason.INPUT,
                                key="label", expected="label and/or reward", got=r)
        self._queue("feedback", records)

    def flush(self) -> None:
        """Write everything buffered so far (called by the background thread and by close). The
        journal segment holding exactly these records is removed once the Parquet files are durable;
        if writing fails it stays, and the next start recovers it."""
        with self._write_lock:
            with self._lock:
                batches = {k: v for k, v in self._buffers.items() if v}
                self._buffers = {"predictions": [], "feedback": []}
                sealed = self.journal.rotate() if self.journal is not None and batches else None
            if sealed is not None and self.journal is not None:
                self.journal.finish(sealed)
            for kind, records in batches.items():
                self._write_parquet(kind, records, tag=sealed.name if sealed is not None else None)
            if sealed is not None:
                sealed.remove()

    def close(self) -> None:
        """Stop the background thread and flush what is left; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=30)
        if self._syncer is not None:
            self._syncer.join(timeout=30)
        self.flush()
        if self.journal is not None:
            self.journal.close()

    def __enter__(self) -> PredictionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------
    def _queue(self, kind: str, records: list[dict[str, Any]]) -> None:
        if self._closed:
            raise MlbpError("prediction log is closed", reason=Reason.CONFIG, key="monitor.prediction_log",
                            fix="write before close(); the server closes the log on shutdown")
        now = time.time()  # stamped now, so a record recovered from the journal lands where it would have
        records = [r if r.get("time") is not None else {**r, "time": now} for r in records]
        with self._lock:
            buf = self._buffers[kind]
            if len(buf) + len(records) > self.max_buffer_rows:  # disk stalled: keep serving, count the loss
                self.dropped += len(records)
                log.warning("prediction log buffer full (%d rows); dropped %d records", len(buf), len(records))
                return
            buf.extend(records)
            if self.journal is not None:
                self.journal.append(kind, records)
            full = len(buf) >= self.flush_rows
        if full:
            self._wake.set()

    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # a bad batch must not kill the logger; it is reported, the server keeps going
                log.exception("prediction log flush failed")

    def _sync_loop(self) -> None:
        """fsync the journal twice per sync interval: a record waits at most one interval."""
        assert self.journal is not None
        while not self._closed:
            time.sleep(self.sync_seconds / 2)
            try:
                self.journal.sync()
            except Exception:  # noqa: BLE001 - reported; Parquet flushes still run
                log.exception("prediction journal sync failed")

    def _prepare(self, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        """A record as the journal may hold it: inputs masked, denied columns dropped."""
        if kind != "predictions":
            return record
        return {**record, "inputs": self.masker(record.get("inputs") or {}), "_masked": True}

    def _recover(self) -> None:
        """Write what a killed log left in its journal to Parquet (see mlbp.monitor.journal)."""
        for segment, records, torn in orphans(self.root / "_wal"):
            for kind, rows in records.items():
                if rows:
                    self._write_parquet(kind, rows, tag=segment.name, count=False)
                    self.recovered[kind] += len(rows)
            self.recovered["torn_lines"] += torn
            segment.remove()
        if any(self.recovered.values()):
            log.warning("prediction log recovered %s from an unfinished journal in %s", self.recovered,
                        self.root / "_wal")

    def _columns(self, kind: str, records: list[dict[str, Any]]) -> dict[str, list[Any]]:
        """Records -> columns (inputs/outputs flattened to in.<col>/out.<col>), masked; built column-wise
        because this runs beside the server's event loop and must hold the GIL as briefly as possible."""
        n = len(records)
        now = time.time()
        cols: dict[str, list[Any]] = {
            "request_id": [None if r.get("request_id") is None else str(r["request_id"]) for r in records],
            "time": [now if r.get("time") is None else float(r["time"]) for r in records],
        }
        fields = PREDICTION_FIELDS if kind == "predictions" else FEEDBACK_FIELDS
        for f in fields[2:]:
            cols[f] = [r.get(f) for r in records]
        if kind == "predictions":
            cols["version"] = [None if v is None else str(v) for v in cols["version"]]
            cols["shadow"] = [bool(v) for v in cols["shadow"]]
        for i, r in enumerate(records):
            if kind == "predictions":
                inputs = r.get("inputs") or {}
                flat = [("in.", inputs if r.get("_masked") else self.masker(inputs)), ("out.", r.get("outputs") or {})]
            else:  # extra scalar fields the server adds (model, version, variant) are kept as they are
                flat = [("", {k: v for k, v in r.items()
                              if k not in cols and k != "_masked" and not isinstance(v, dict | list)})]
            for prefix, values in flat:
                for k, v in values.items():
                    name = prefix + k
                    col = cols.get(name)
                    if col is None:
                        col = cols[name] = [None] * n
                    col[i] = v
        return cols

    def _write_parquet(self, kind: str, records: list[dict[str, Any]], tag: str | None = None,
                       count: bool = True) -> None:
        """Write records as Parquet parts. `tag` (a journal segment): the parts are named after it,
        so writing the same segment again replaces them, and each is fsynced before its name
        appears (the segment is deleted only after that)."""
        import pyarrow.parquet as pq

        step = 3600 if self.partition == "hour" else 86400
        by_model: dict[Any, list[dict[str, Any]]] = {}
        for r in records:  # each model's columns on their own: one model's `age` never meets another's `Age`
            by_model.setdefault(r.get("model") if kind == "predictions" else None, []).append(r)
        k = 0
        for model, group in by_model.items():
            cols = self._columns(kind, group)
            buckets = [int(t // step) for t in cols["time"]]
            for bucket in dict.fromkeys(buckets):
                idx = [i for i, b in enumerate(buckets) if b == bucket]
                part = cols if len(idx) == len(buckets) else {k: [v[i] for i in idx] for k, v in cols.items()}
                folder = partition_folder(self.root / kind, model, bucket * step, self.partition)
                folder.mkdir(parents=True, exist_ok=True)
                name = (f"part-{tag}-{k:04d}.parquet" if tag else
                        f"part-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.parquet")
                k += 1
                tmp = folder / f".{name}.tmp"
                pq.write_table(_table(part), tmp)
                if tag:
                    with open(tmp, "rb") as fh:
                        os.fsync(fh.fileno())
                tmp.rename(folder / name)  # readers never see a half-written file
                if tag:
                    fsync_dir(folder)
        if count:
            self.written[kind] += len(records)


def model_folder(root: Path, model: str) -> Path:
    """Where one model's predictions live. One folder per model: the reader scans only the model it
    judges, so another model's columns never meet it (DuckDB's union_by_name folds names that
    differ only in case, and `in.age` of one model hid `in.Age` of another)."""
    return root / f"model={quote(str(model), safe='')}"


def partition_folder(root: Path, model: str | None, epoch: float, partition: str) -> Path:
    ts = time.gmtime(epoch)
    folder = (model_folder(root, model) if model is not None else root) / time.strftime("date=%Y-%m-%d", ts)
    return folder / time.strftime("hour=%H", ts) if partition == "hour" else folder


def _table(cols: dict[str, list[Any]]):
    """An Arrow table from columns; a column whose values mix types (str and int) is stored as strings."""
    import pyarrow as pa

    arrays = []
    for values in cols.values():
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays.append(pa.array([None if v is None else str(v) for v in values], type=pa.string()))
    return pa.Table.from_arrays(arrays, names=list(cols))
