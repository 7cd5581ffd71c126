"""The prediction log's write-ahead journal: what a hard kill cannot take back.

Parquet is written in batches (every second or so), so a `kill -9` between two flushes lost every
prediction the server had already answered. Each record is therefore also appended to a segment
of JSON lines, `<root>/_wal/segment-<id>.jsonl`, and the segment is fsynced every
`sync_seconds / 2`: a record is on disk at most `sync_seconds` after it was logged. When a Parquet
flush has made a segment's records durable (files fsynced, then renamed into place), the segment
is deleted. On start, a log recovers the segments no live process holds (each log keeps an
exclusive `flock` on its open segment; a dead process's lock is gone): it writes their records to
Parquet under names derived from the segment, so recovering twice overwrites rather than doubles.

Only masked records are journaled (a denied column never reaches the disk, a masked one only as
its keyed hash), as in the Parquet files.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

log = logging.getLogger("mlbp.monitor.log")

KINDS = {"p": "predictions", "f": "feedback"}
CODES = {v: k for k, v in KINDS.items()}


def _dumps(kind: str, record: dict[str, Any]) -> bytes:
    import orjson

    return orjson.dumps({"k": CODES[kind], "r": record},
                        option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS, default=str) + b"\n"


def fsync_dir(folder: Path) -> None:
    """Make a new or renamed directory entry durable (a file's own fsync does not cover its name)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Segment:
    """One open segment file and the records queued for it but not yet written."""

    path: Path
    fh: BinaryIO
    pending: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    io: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return self.path.stem.removeprefix("segment-")

    def write_pending(self, take: Callable[[], list[tuple[str, list[dict[str, Any]]]]],
                      prepare: Callable[[str, dict[str, Any]], dict[str, Any]]) -> int:
        """Write what `take()` hands over (called under the journal's lock) and fsync; returns rows."""
        with self.io:
            batches = take()
            if not batches:
                return 0
            lines = b"".join(_dumps(kind, prepare(kind, r)) for kind, records in batches for r in records)
            self.fh.write(lines)
            self.fh.flush()
            os.fsync(self.fh.fileno())
            return sum(len(records) for _, records in batches)

    def remove(self) -> None:
        """Its records are durable elsewhere: close (releasing the lock) and delete."""
        self.fh.close()
        self.path.unlink(missing_ok=True)


class Journal:
    """Append-only, fsynced segments (see the module docstring). Thread-safe."""

    def __init__(self, folder: Path, prepare: Callable[[str, dict[str, Any]], dict[str, Any]]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.prepare = prepare  # masks a record before it is written
        self._lock = threading.Lock()
        self.current = self._open()

    def _open(self) -> Segment:
        name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:12]}"
        path = self.folder / f"segment-{name}.jsonl"
        fh = open(path, "ab")  # noqa: SIM115 - held open for the segment's life
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours: recovery leaves it alone
        fsync_dir(self.folder)
        return Segment(path, fh)

    def append(self, kind: str, records: list[dict[str, Any]]) -> None:
        """Queue records for the current segment (no I/O here)."""
        with self._lock:
            self.current.pending.append((kind, records))

    def sync(self) -> int:
        """Write and fsync what is queued for the current segment."""
        segment = self.current
        return segment.write_pending(lambda: self._take(segment), self.prepare)

    def _take(self, segment: Segment) -> list[tuple[str, list[dict[str, Any]]]]:
        with self._lock:
            batches, segment.pending = segment.pending, []
        return batches

    def rotate(self) -> Segment:
        """Start a new segment; the old one is returned to be finished and removed once its
        records are durable elsewhere. Call it where the buffered records are taken, so the old
        segment holds exactly those."""
        with self._lock:
            old, self.current = self.current, self._open()
        return old

    def finish(self, segment: Segment) -> None:
        """Write what is still queued for a rotated segment."""
        segment.write_pending(lambda: self._take(segment), self.prepare)

    def close(self) -> None:
        """No more records: the (empty, already flushed) current segment goes."""
        self.finish(self.current)
        self.current.remove()


def orphans(folder: Path) -> Iterator[tuple[Segment, dict[str, list[dict[str, Any]]], int]]:
    """Segments no live process holds, with their records by kind and how many torn lines (a
    kill mid-write leaves at most the last one) were skipped. The caller removes each once its
    records are durable."""
    import orjson

    for path in sorted(Path(folder).glob("segment-*.jsonl")):
        try:
            fh = open(path, "r+b")  # noqa: SIM115 - handed to the Segment
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a running server's own segment
            fh.close()
            continue
        records: dict[str, list[dict[str, Any]]] = {"predictions": [], "feedback": []}
        torn = 0
        for line in fh.read().splitlines():
            try:
                item = orjson.loads(line)
                records[KINDS[item["k"]]].append(item["r"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                torn += 1
        yield Segment(path, fh), records, torn
