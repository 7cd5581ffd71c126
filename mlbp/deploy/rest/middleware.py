"""Pure ASGI middleware (cheaper than BaseHTTPMiddleware on the hot path): a request id on every
response, a request body size limit, and request/error/latency metrics per endpoint."""

from __future__ import annotations

import itertools
import os
import re
import time
from typing import Any

import orjson

from mlbp.deploy.rest.metrics import ServerMetrics
from mlbp.deploy.runtime.signature import InputError

_RID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_ROUTES = (
    (re.compile(r"^/v2/models/[^/]+/infer$"), "/v2/models/{name}/infer"),
    (re.compile(r"^/v2/models/[^/]+/ready$"), "/v2/models/{name}/ready"),
    (re.compile(r"^/v2/models/[^/]+$"), "/v2/models/{name}"),
)
KNOWN = {"/invocations", "/predict", "/health", "/metrics", "/feedback", "/v2", "/v2/health/live",
         "/v2/health/ready", "/admin/reload", "/openapi.json", "/docs"}


def endpoint_label(path: str) -> str:
    if path in KNOWN:
        return path
    for rx, label in _ROUTES:
        if rx.match(path):
            return label
    return "other"


class _TooLarge(InputError):
    """Raised from receive(); the app's InputError handler turns it into a 413."""


class RequestMiddleware:
    def __init__(self, app: Any, metrics: ServerMetrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body_bytes
        # request ids: a random per-process prefix + a counter (unique, and cheaper than uuid4)
        self._prefix = os.urandom(6).hex()
        self._counter = itertools.count(1)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        rid = None
        length = None
        for k, v in scope["headers"]:
            if k == b"x-request-id":
                text = v.decode("latin-1")
                rid = text if _RID.fullmatch(text) else None
            elif k == b"content-length":
                length = v
        rid = rid or f"{self._prefix}-{next(self._counter):x}"
        scope["mlbp.request_id"] = rid
        endpoint = endpoint_label(scope["path"])
        status = {"code": 500, "started": False}
        header = (b"x-request-id", rid.encode())

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        seen = 0

        async def limited_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge(f"request body larger than {self.max_body} bytes", field="body", status=413)
            return message

        try:
            if length is not None and (not (length.isascii() and length.isdigit()) or int(length) > self.max_body):
                await self._too_large(send_with_id)
            else:
                await self.app(scope, limited_receive, send_with_id)
        except _TooLarge:
            if not status["started"]:
                await self._too_large(send_with_id)
        finally:
            self.metrics.request_done(endpoint, status["code"], time.perf_counter() - t0)

    async def _too_large(self, send: Any) -> None:
        body = orjson.dumps({"error": f"request body larger than {self.max_body} bytes", "field": "body"})
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
