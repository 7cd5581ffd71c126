"""The REST server: MLflow `/invocations`, Open Inference Protocol V2, `/predict`, `/feedback`,
health, Prometheus `/metrics`, OpenAPI docs declaring every status code it returns.

Handlers read the raw body (V2 clients such as tritonclient send no JSON content type) and parse
it with orjson; validation is `InputChecker`'s, so a client's mistake is always a 4xx
`{"error": ..., "field": ...}` and never a 5xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from mlbp.deploy.batching import MicroBatcher
from mlbp.deploy.hooks import NullSink, PredictionSink, Router
from mlbp.deploy.metrics import ServerMetrics
from mlbp.deploy.middleware import RequestMiddleware
from mlbp.deploy.payloads import columns_from_mlflow, columns_from_v2, parse_json, records_out, v2_outputs
from mlbp.deploy.routing import SplitRouter
from mlbp.deploy.security import ApiKeys
from mlbp.deploy.signature import InputError
from mlbp.deploy.variants import Variants

log = logging.getLogger("mlbp.deploy")

JSON = "application/json"


@dataclass
class ServeOptions:
    """`deploy.rest.*` settings that shape the app (host/port belong to the launcher)."""

    max_body_bytes: int = 1 << 20
    api_keys: list[dict[str, Any]] = field(default_factory=list)
    micro_batch: bool = False
    max_batch: int = 64
    max_wait_ms: float = 0.0
    poll_seconds: float = 5.0  # how often registry aliases are checked for a hot swap; 0 = never
    remember_requests: int = 100_000  # request ids kept for /feedback


def _json(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY), status_code=status, media_type=JSON)


_ERROR = {"type": "object", "required": ["error"],
          "properties": {"error": {"type": "string"}, "field": {"type": ["string", "null"]}}}


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "malformed request", 401: "missing or unknown API key", 403: "the API key lacks the scope",
            404: "unknown model or request id", 413: "request body too large", 415: "unsupported content type",
            422: "input does not match the model's signature (the field is named)", 503: "not ready"}
    return {c: {"description": text[c], "content": {JSON: {"schema": _ERROR}}} for c in codes}


_ROW = {"type": "object", "additionalProperties": True}
_PREDICT_BODY = {"requestBody": {"required": True, "content": {JSON: {"schema": {
    "oneOf": [_ROW, {"type": "array", "items": _ROW, "minItems": 1},
              {"type": "object", "required": ["records"],
               "properties": {"records": {"type": "array", "items": _ROW}}}]}}}}}
_INVOCATIONS_BODY = {"requestBody": {"required": True, "content": {
    JSON: {"schema": {"type": "object", "description": "exactly one of the four keys (+ optional params)",
                      "properties": {"dataframe_split": {"type": "object", "properties": {
                          "columns": {"type": "array", "items": {"type": "string"}},
                          "data": {"type": "array", "items": {"type": "array"}}}},
                          "dataframe_records": {"type": "array", "items": _ROW},
                          "instances": {"type": "array", "items": _ROW},
                          "inputs": {"oneOf": [{"type": "object"}, {"type": "array", "items": _ROW}]},
                          "params": {"type": "object"}}}},
    "text/csv": {"schema": {"type": "string"}}}}}
_V2_BODY = {"requestBody": {"required": True, "content": {JSON: {"schema": {
    "type": "object", "required": ["inputs"],
    "properties": {"id": {"type": "string"}, "parameters": {"type": "object"},
                   "inputs": {"type": "array", "items": {
                       "type": "object", "required": ["name", "shape", "datatype", "data"],
                       "properties": {"name": {"type": "string"}, "shape": {"type": "array", "items": {
                           "type": "integer"}}, "datatype": {"type": "string"}, "data": {"type": "array"}}}}}}}}}}
_FEEDBACK_BODY = {"requestBody": {"required": True, "content": {JSON: {"schema": {
    "type": "object", "required": ["request_id"],
    "properties": {"request_id": {"type": "string"}, "label": {"type": ["number", "string"]},
                   "reward": {"type": "number"}}}}}}}


_USED_HEADERS = frozenset({b"content-type", b"x-routing-key", b"x-api-key", b"authorization"})


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
        body = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class Server:
    """Holds the variants, router, sink, batcher and metrics; `app` is the ASGI application."""

    def __init__(self, variants: Variants, options: ServeOptions | None = None, sink: PredictionSink | None = None,
                 router: Router | None = None) -> None:
        self.variants = variants
        self.options = options or ServeOptions()
        self.sink: PredictionSink = sink or NullSink()
        self.log_predictions = not isinstance(self.sink, NullSink)
        self.router: Router = router or SplitRouter({n: 1.0 for n in list(variants.items)[:1]})
        self.keys = ApiKeys(self.options.api_keys)
        self.metrics = ServerMetrics()
        self.metrics.set_models(variants.items)
        self.batcher = MicroBatcher(self.options.max_batch, self.options.max_wait_ms) if self.options.micro_batch \
            else None
        self.requests: OrderedDict[str, tuple[str, Any, Any]] = OrderedDict()
        self.ready = False
        self.app = self._build()

    # ---- prediction core ----------------------------------------------------------------------
    async def predict(self, headers: Any, body: bytes, rid: str, parse: Any, variant_name: str | None = None
                      ) -> tuple[str, str, Any, dict[str, np.ndarray]]:
        """Auth, route, parse + validate, predict (batched or not), log, shadow. Returns
        (request id, variant, model, outputs)."""
        self.keys.check(headers, "predict")
        shadows: list[str] = []
        if variant_name is None:
            variant_name, shadows = self.router.choose(headers.get("x-routing-key"))
        variant = self.variants.items.get(variant_name)
        if variant is None:
            raise InputError(f"the router chose variant '{variant_name}', which is not loaded", field="variant",
                             status=503)
        model = variant.model  # captured once: a hot swap does not affect this request
        cols, n = parse(body, model.checker)
        t0 = time.perf_counter()
        if model.compiled is None:
            out = await run_in_threadpool(model.predict_columns, cols, n)
        elif self.batcher is not None and n == 1:
            out = await self.batcher.predict(model, cols, n)
        else:
            out = model.predict_columns(cols, n)
        secs = time.perf_counter() - t0
        version = str(model.version)
        self.metrics.predicted(model.name, version, variant_name, False, n, secs)
        self._remember(rid, n, variant_name, model.version, out.get("prediction"))
        if self.log_predictions:
            self._log(rid, model, variant_name, cols, out, n, secs, shadow=False)
        for s in shadows:
            self._shadow(s, rid, cols, n)
        return rid, variant_name, model, out

    def _remember(self, rid: str, n: int, variant: str, version: Any, preds: Any) -> None:
        preds = np.asarray(preds).tolist() if preds is not None else [None] * n
        ids = [rid] if n == 1 else [f"{rid}-{i}" for i in range(n)]
        for i, key in enumerate(ids):
            self.requests[key] = (variant, version, preds[i])
        while len(self.requests) > self.options.remember_requests:
            self.requests.popitem(last=False)

    def _log(self, rid: str, model: Any, variant: str, cols: dict[str, list[Any]], out: dict[str, np.ndarray],
             n: int, secs: float, shadow: bool) -> None:
        now = time.time()
        outs = {k: np.asarray(v).tolist() for k, v in out.items()}
        records = [{"request_id": rid if n == 1 else f"{rid}-{i}", "time": now, "model": model.name,
                    "version": model.version, "variant": variant, "inputs": {c: cols[c][i] for c in cols},
                    "outputs": {k: outs[k][i] for k in outs}, "latency_ms": secs * 1000.0, "shadow": shadow}
                   for i in range(n)]
        try:
            self.sink.write(records)
        except Exception as exc:  # noqa: BLE001 - a logging failure must not fail the prediction
            log.warning("prediction sink failed: %s", exc)

    def _shadow(self, name: str, rid: str, cols: dict[str, list[Any]], n: int) -> None:
        variant = self.variants.items.get(name)
        if variant is None:
            return
        model = variant.model
        try:
            t0 = time.perf_counter()
            checked = model.checker.columns(dict(cols), n)
            out = model.predict_columns(checked, n)
            self.metrics.predicted(model.name, str(model.version), name, True, n, 0.0)
            if self.log_predictions:
                self._log(rid, model, name, checked, out, n, time.perf_counter() - t0, shadow=True)
        except Exception as exc:  # noqa: BLE001 - a shadow never affects the served answer
            log.warning("shadow variant %s failed on %s: %s", name, rid, exc)

    # ---- the prediction endpoints: shared by the FastAPI routes and the raw fast lane -------------
    async def h_invocations(self, headers: Any, body: bytes, rid: str) -> dict[str, Any]:
        ctype = headers.get("content-type", "")
        _rid, _variant, _model, out = await self.predict(
            headers, body, rid, lambda b, checker: columns_from_mlflow(b, ctype, checker))
        return {"predictions": records_out(out)}

    async def h_predict(self, headers: Any, body: bytes, rid: str) -> dict[str, Any]:
        def parse(b: bytes, checker: Any) -> Any:
            doc = parse_json(b)
            if isinstance(doc, dict) and set(doc) == {"records"}:
                doc = doc["records"]
            rows = [doc] if isinstance(doc, dict) else doc
            return checker.records(rows, where="records"), len(rows) if isinstance(rows, list) else 0

        rid, variant, model, out = await self.predict(headers, body, rid, parse)
        return {"request_id": rid, "model": model.name, "version": model.version, "variant": variant,
                "predictions": records_out(out)}

    async def h_v2_infer(self, name: str, headers: Any, body: bytes, rid: str) -> dict[str, Any]:
        target = self.primary(name).name if name != self.variants.model_name else None
        holder: dict[str, Any] = {}

        def parse(b: bytes, checker: Any) -> Any:
            doc = parse_json(b)
            holder["id"] = doc.get("id") if isinstance(doc, dict) else None
            return columns_from_v2(doc, checker)

        rid, variant, model, out = await self.predict(headers, body, rid, parse, variant_name=target)
        payload: dict[str, Any] = {"model_name": self.variants.model_name, "model_version": str(model.version),
                                   "parameters": {"content_type": "pd", "request_id": rid, "variant": variant},
                                   "outputs": v2_outputs(out)}
        if isinstance(holder.get("id"), str):
            payload["id"] = holder["id"]
        return payload

    def fast_handler(self, method: str, path: str) -> Any:
        """The handler the fast lane runs for this request, or None (FastAPI handles it)."""
        if method != "POST":
            return None
        if path == "/predict":
            return self.h_predict
        if path == "/invocations":
            return self.h_invocations
        if path.startswith("/v2/models/") and path.endswith("/infer"):
            name = path[len("/v2/models/"):-len("/infer")]
            if name and "/" not in name:
                return lambda headers, body, rid: self.h_v2_infer(name, headers, body, rid)
        return None

    def primary(self, name: str) -> Any:
        """The variant a `/v2/models/{name}` path names: a variant name, or the model name (-> first)."""
        if name in self.variants.items:
            return self.variants.items[name]
        if name == self.variants.model_name:
            return next(iter(self.variants.items.values()))
        raise InputError(f"unknown model '{name}'; this server serves '{self.variants.model_name}' "
                         f"(variants {sorted(self.variants.items)})", field="name", status=404)

    async def refresh(self) -> list[str]:
        changed = await run_in_threadpool(self.variants.refresh)
        if changed:
            self.metrics.set_models(self.variants.items)
            for line in changed:
                self.metrics.swaps.labels(line.split(":")[0]).inc()
        return changed

    # ---- the app -----------------------------------------------------------------------------
    def _build(self) -> Any:
        server = self

        @contextlib.asynccontextmanager
        async def lifespan(app: FastAPI):  # noqa: ANN202
            # the libraries and the model are loaded: move their objects out of the collector's
            # reach, or every full collection walks them all (a ~50-100 ms pause in the p99)
            gc.collect()
            gc.freeze()
            if server.batcher is not None:
                server.batcher.start()
            poller = None
            if server.options.poll_seconds > 0 and any(not v.source.path for v in server.variants.items.values()):
                poller = asyncio.get_running_loop().create_task(server._poll())
            server.ready = True
            try:
                yield
            finally:
                server.ready = False
                if poller is not None:
                    poller.cancel()
                if server.batcher is not None:
                    await server.batcher.stop()
                server.sink.close()

        app = FastAPI(title="mlbp model server", version="1", lifespan=lifespan,
                      description="MLflow /invocations, Open Inference Protocol V2, /predict, /feedback.")

        @app.exception_handler(InputError)
        async def input_error(request: Request, exc: InputError) -> Response:
            return _json({"error": exc.message, "field": exc.field}, exc.status)

        @app.exception_handler(StarletteHTTPException)
        async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
            return _json({"error": str(exc.detail)}, exc.status_code)

        @app.exception_handler(Exception)
        async def server_error(request: Request, exc: Exception) -> Response:
            log.exception("internal error on %s", request.url.path)
            return _json({"error": f"internal error ({type(exc).__name__}); request id "
                                   f"{request.scope.get('mlbp.request_id')}"}, 500)

        self._routes(app)
        return RequestMiddleware(FastLane(app, self), self.metrics, self.options.max_body_bytes)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.options.poll_seconds)
            try:
                await self.refresh()
            except Exception as exc:  # noqa: BLE001 - keep polling
                log.warning("alias poll failed: %s", exc)

    def _routes(self, app: FastAPI) -> None:
        server = self

        @app.post("/invocations", summary="MLflow scoring protocol", openapi_extra=_INVOCATIONS_BODY,
                  responses=_responses(400, 401, 403, 413, 415, 422, 503))
        async def invocations(request: Request) -> Response:
            return _json(await server.h_invocations(request.headers, await request.body(),
                                                    request.scope["mlbp.request_id"]))

        @app.post("/predict", summary="plain JSON: a row, a list of rows or {records: [...]}",
                  openapi_extra=_PREDICT_BODY, responses=_responses(400, 401, 403, 413, 422, 503))
        async def predict(request: Request) -> Response:
            return _json(await server.h_predict(request.headers, await request.body(),
                                                request.scope["mlbp.request_id"]))

        @app.post("/v2/models/{name}/infer", summary="Open Inference Protocol V2 inference", openapi_extra=_V2_BODY,
                  responses=_responses(400, 401, 403, 404, 413, 422, 503))
        async def v2_infer(name: str, request: Request) -> Response:
            return _json(await server.h_v2_infer(name, request.headers, await request.body(),
                                                 request.scope["mlbp.request_id"]))

        @app.get("/v2/models/{name}", summary="V2 model metadata (reports the version serving)",
                 responses=_responses(401, 403, 404))
        async def v2_model(name: str, request: Request) -> Response:
            v = server.primary(name)
            m = v.model
            sig = m.signature
            v2_numeric = {"int": "INT64", "bool": "BOOL"}
            inputs = [{"name": c, "datatype": v2_numeric.get(sig["inputs"][c].get("dtype"), "FP64")
                       if sig["inputs"][c]["kind"] == "numeric" else "BYTES", "shape": [-1]}
                      for c in m.checker.features]
            outputs = [{"name": o, "datatype": "INT64" if o == "prediction" and sig["task"] != "regression"
                        else "FP64", "shape": [-1]} for o in m.outputs]
            return _json({"name": server.variants.model_name, "versions": [str(m.version)], "platform": "mlbp",
                          "inputs": inputs, "outputs": outputs,
                          "parameters": {"content_type": "pd", "variant": v.name, "fast_path": m.fast_path,
                                         "variants": {k: str(x) for k, x in server.variants.versions().items()}}})

        @app.get("/v2/models/{name}/ready", summary="V2 model readiness", responses=_responses(404, 503))
        async def v2_model_ready(name: str) -> Response:
            server.primary(name)
            if not server.ready:
                raise InputError("not ready", field="name", status=503)
            return _json({"name": name, "ready": True})

        @app.get("/v2/health/live", summary="V2 liveness")
        async def live() -> Response:
            return _json({"live": True})

        @app.get("/v2/health/ready", summary="V2 readiness", responses=_responses(503))
        async def ready() -> Response:
            if not server.ready:
                return _json({"error": "not ready"}, 503)
            return _json({"ready": True})

        @app.get("/v2", summary="V2 server metadata")
        async def v2_server() -> Response:
            return _json({"name": "mlbp", "version": "1", "extensions": []})

        @app.get("/health", summary="model name, variants, versions, swaps, fast path", responses=_responses(503))
        async def health() -> Response:
            body = {"status": "ok" if server.ready else "starting", "model": server.variants.model_name,
                    "variants": {n: {"version": v.model.version, "source": v.source.describe(), "swaps": v.swaps,
                                     "fast_path": v.model.fast_path, "last_error": v.last_error}
                                 for n, v in server.variants.items.items()},
                    "allocation": server.router.allocation(),
                    "micro_batching": None if server.batcher is None else {
                        "batches": server.batcher.batches, "rows": server.batcher.rows}}
            return _json(body, 200 if server.ready else 503)

        @app.get("/metrics", summary="Prometheus metrics", responses=_responses(401, 403),
                 response_class=PlainTextResponse)
        async def metrics(request: Request) -> Response:
            server.keys.check(request.headers, "admin")
            return Response(server.metrics.render(), media_type="text/plain; version=0.0.4")

        @app.post("/feedback", summary="the true label or a reward for an earlier prediction",
                  openapi_extra=_FEEDBACK_BODY, responses=_responses(400, 401, 403, 404, 413, 422))
        async def feedback(request: Request) -> Response:
            server.keys.check(request.headers, "predict")
            doc = parse_json(await request.body())
            if not isinstance(doc, dict) or not isinstance(doc.get("request_id"), str):
                raise InputError("send {request_id, label} or {request_id, reward}", field="request_id", status=422)
            extra = [k for k in doc if k not in ("request_id", "label", "reward")]
            if extra:
                raise InputError(f"unknown field '{extra[0]}'", field=extra[0], status=422)
            if ("label" in doc) == ("reward" in doc):
                raise InputError("send exactly one of 'label' and 'reward'", field="label", status=422)
            value = doc.get("reward", doc.get("label"))
            if type(value) not in (int, float) and not ("label" in doc and type(value) is str):
                raise InputError("reward must be a number; label a number or string", field="reward"
                                 if "reward" in doc else "label", status=422)
            known = server.requests.get(doc["request_id"])
            if known is None:
                raise InputError(f"unknown request id '{doc['request_id']}' (or forgotten: the server keeps the last "
                                 f"{server.options.remember_requests})", field="request_id", status=404)
            variant, version, prediction = known
            record = {"request_id": doc["request_id"], "time": time.time(), "model": server.variants.model_name,
                      "version": version, "variant": variant}
            if "reward" in doc:
                record["reward"] = float(value)
                reward = float(value)
            else:
                record["label"] = value
                reward = 1.0 if prediction == value else 0.0
            server.sink.write_feedback([record])
            server.router.reward(variant, reward)
            return _json({"ok": True, "variant": variant, "reward": reward})

        @app.post("/admin/reload", summary="check registry aliases now and hot-swap moved ones",
                  responses=_responses(401, 403))
        async def reload(request: Request) -> Response:
            server.keys.check(request.headers, "admin")
            changed = await server.refresh()
            return _json({"changed": changed, "versions": server.variants.versions()})
