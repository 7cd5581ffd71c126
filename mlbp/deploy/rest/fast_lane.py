"""A raw ASGI lane for the prediction endpoints, in front of FastAPI."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson

from mlbp.deploy.rest.v2_binary import BinaryBody
from mlbp.deploy.runtime.signature import InputError

if TYPE_CHECKING:
    from mlbp.deploy.rest.app import Server

log = logging.getLogger("mlbp.deploy")

_USED_HEADERS = frozenset({b"content-type", b"x-routing-key", b"x-api-key", b"authorization",
                           b"inference-header-content-length"})


class FastLane:
    """Raw ASGI for the three prediction endpoints: read the body, run the same handler the FastAPI
    route runs, write orjson. Skips Starlette's Request, routing and dependency machinery, which
    cost more than the prediction itself for one row. Everything else goes to FastAPI."""

    def __init__(self, app: Any, server: Server) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        handler = self.server.fast_handler(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        try:
            chunks = []
            while True:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return
                chunks.append(msg.get("body", b""))
                if not msg.get("more_body"):
                    break
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in _USED_HEADERS}
            status, payload = 200, await handler(headers, b"".join(chunks), scope["mlbp.request_id"])
        except InputError as exc:
            status, payload = exc.status, {"error": exc.message, "field": exc.field}
        except Exception as exc:  # noqa: BLE001 - the server's own fault: a 500 that names the request
            log.exception("internal error on %s", scope["path"])
            status, payload = 500, {"error": f"internal error ({type(exc).__name__}); request id "
                                             f"{scope.get('mlbp.request_id')}"}
        if isinstance(payload, BinaryBody):  # V2 binary outputs: JSON header + raw tensors
            body = payload.body
            headers = [(b"content-type", b"application/octet-stream"),
                       (b"inference-header-content-length", str(payload.header_length).encode())]
        else:
            body = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
            headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status,
                    "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
