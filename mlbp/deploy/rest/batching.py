"""Micro-batching: gather concurrent single-row requests and predict them in one call.

One queue per server; a worker task takes what is queued (waiting at most `max_wait_ms` for more
when `max_wait_ms > 0`; eager otherwise: it flushes whatever arrived while the last batch ran),
groups the requests by the model object they captured (a hot swap may be in between), predicts
each group once and resolves every request's future with its own rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import numpy as np


class MicroBatcher:
    def __init__(self, max_batch: int = 64, max_wait_ms: float = 0.0) -> None:
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self._queue: asyncio.Queue[tuple[Any, dict[str, list[Any]], int, asyncio.Future]] | None = None
        self._task: asyncio.Task | None = None
        self.batches = 0
        self.rows = 0

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def predict(self, model: Any, cols: dict[str, list[Any]], n: int) -> dict[str, np.ndarray]:
        assert self._queue is not None, "MicroBatcher.start() was not called"
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((model, cols, n, fut))
        return await fut

    async def _run(self) -> None:
        assert self._queue is not None
        q = self._queue
        while True:
            items = [await q.get()]
            deadline = time.perf_counter() + self.max_wait
            while len(items) < self.max_batch:
                if not q.empty():
                    items.append(q.get_nowait())
                    continue
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                try:
                    items.append(await asyncio.wait_for(q.get(), left))
                except TimeoutError:
                    break
            self._flush(items)
            await asyncio.sleep(0)  # let handlers that woke up enqueue before the next batch

    def _flush(self, items: list[tuple[Any, dict[str, list[Any]], int, asyncio.Future]]) -> None:
        groups: dict[int, list[tuple[Any, dict[str, list[Any]], int, asyncio.Future]]] = {}
        for it in items:
            groups.setdefault(id(it[0]), []).append(it)
        for group in groups.values():
            model = group[0][0]
            cols = {c: [v for it in group for v in it[1][c]] for c in group[0][1]}
            total = sum(it[2] for it in group)
            try:
                out = model.predict_columns(cols, total)
            except Exception as exc:  # noqa: BLE001 - handed to each waiting request
                for it in group:
                    if not it[3].done():
                        it[3].set_exception(exc)
                continue
            self.batches += 1
            self.rows += total
            start = 0
            for _m, _c, n, fut in group:
                if not fut.done():
                    fut.set_result({k: v[start:start + n] for k, v in out.items()})
                start += n
