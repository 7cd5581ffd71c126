"""A small PredictionSink for serving without the monitor package: JSON lines on local disk.

`write` only appends to a buffer under a lock (the serving path never waits for the disk); a
background thread flushes every `flush_seconds`; `close` flushes what is left. YAML::

    monitor:
      prediction_log:
        _target_: mlbp.deploy.rest.sinks.JsonlSink
        path: ${paths.state}/predictions.jsonl   # feedback goes to predictions.feedback.jsonl
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import orjson


class JsonlSink:
    def __init__(self, path: str, flush_seconds: float = 1.0) -> None:
        self.path = Path(path)
        self.feedback_path = self.path.with_suffix(".feedback.jsonl")
        self.flush_seconds = flush_seconds
        self._buf: list[dict[str, Any]] = []
        self._fb: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._loop, name="mlbp-jsonl-sink", daemon=True)
        self._thread.start()

    def write(self, records: list[dict[str, Any]]) -> None:
        with self._lock:
            self._buf.extend(records)

    def write_feedback(self, records: list[dict[str, Any]]) -> None:
        with self._lock:
            self._fb.extend(records)

    def flush(self) -> None:
        with self._lock:
            buf, self._buf = self._buf, []
            fb, self._fb = self._fb, []
        for path, recs in ((self.path, buf), (self.feedback_path, fb)):
            if recs:
                with open(path, "ab") as fh:
                    fh.write(b"".join(orjson.dumps(r, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n" for r in recs))

    def _loop(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.flush()
