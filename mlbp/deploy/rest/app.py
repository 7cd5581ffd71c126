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
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from mlbp.deploy.rest.batching import MicroBatcher
from mlbp.deploy.rest.fast_lane import FastLane
from mlbp.deploy.rest.hooks import NullSink, PredictionSink, Router
from mlbp.deploy.rest.metrics import ServerMetrics
from mlbp.deploy.rest.middleware import RequestMiddleware
from mlbp.deploy.rest.openapi import json_response
from mlbp.deploy.rest.payloads import columns_from_mlflow, columns_from_v2, parse_json, records_out, v2_outputs
from mlbp.deploy.rest.refused import Answer, kept_rows, spread
from mlbp.deploy.rest.routes import add_routes
from mlbp.deploy.rest.routing import SplitRouter
from mlbp.deploy.rest.security import ApiKeys
from mlbp.deploy.rest.v2_binary import HEADER, BinaryBody, decode_inputs, encode_outputs, split_body, wanted_outputs
from mlbp.deploy.rest.variants import Variants
from mlbp.deploy.runtime.signature import InputError

log = logging.getLogger("mlbp.deploy")


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


def _row_ids(rid: str, n: int, rows: list[int] | None) -> list[str]:
    """The request id of each predicted row: the request's own for a one-row request, else
    `<request id>-<row>` with the row's position in the request (refused rows keep theirs)."""
    if n == 1:
        return [rid]
    return [f"{rid}-{i}" for i in (range(n) if rows is None else rows)]


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
    async def predict(self, headers: Any, body: bytes, rid: str, parse: Any, variant_name: str | None = None,
                      version: str | None = None) -> Answer:
        """Auth, route, parse + validate, predict (batched or not), log, shadow. `version`: the
        model version the client asked for (a V2 versioned route); a variant swapped to another
        version meanwhile is a 404. Rows refused on their own (an unseen category) are left out of
        the prediction and answered with their error; a request whose every row is refused is a 422."""
        self.keys.check(headers, "predict")
        shadows: list[str] = []
        if variant_name is None:
            variant_name, shadows = self.router.choose(headers.get("x-routing-key"))
        variant = self.variants.items.get(variant_name)
        if variant is None:
            raise InputError(f"the router chose variant '{variant_name}', which is not loaded", field="variant",
                             status=503)
        model = variant.model  # captured once: a hot swap does not affect this request
        if version is not None and str(model.version) != version:
            raise self._not_served(self.variants.model_name, version)
        cols, n = parse(body, model.checker)
        rejected: dict[int, InputError] = getattr(cols, "rejected", None) or {}
        rows = None
        if rejected:
            rows, cols, n_all = kept_rows(cols, rejected, n)
            self.metrics.refused(model.name, str(model.version), variant_name, len(rejected))
            if rows is None:
                first = rejected[min(rejected)]
                raise InputError(first.message + (f" ({n_all} of {n_all} rows refused)" if n_all > 1 else ""),
                                 field=first.field, status=422)
            n_kept = len(rows)
        else:
            n_all = n_kept = n
        t0 = time.perf_counter()
        if model.compiled is None:
            out = await run_in_threadpool(model.predict_columns, cols, n_kept)
        elif self.batcher is not None and n_kept == 1:
            out = await self.batcher.predict(model, cols, n_kept)
        else:
            out = model.predict_columns(cols, n_kept)
        secs = time.perf_counter() - t0
        self.metrics.predicted(model.name, str(model.version), variant_name, False, n_kept, secs)
        ids = _row_ids(rid, n_all, rows)
        self._remember(ids, variant_name, model.version, out.get("prediction"))
        if self.log_predictions:
            self._log(ids, model, variant_name, cols, out, secs, shadow=False)
        for s in shadows:
            self._shadow(s, ids, cols, n_kept)
        if rows is not None:
            out = spread(out, rows, n_all)
        return Answer(rid, variant_name, model, out, rejected)

    def _remember(self, ids: list[str], variant: str, version: Any, preds: Any) -> None:
        preds = np.asarray(preds).tolist() if preds is not None else [None] * len(ids)
        for i, key in enumerate(ids):
            self.requests[key] = (variant, version, preds[i])
        while len(self.requests) > self.options.remember_requests:
            self.requests.popitem(last=False)

    def _log(self, ids: list[str], model: Any, variant: str, cols: dict[str, list[Any]], out: dict[str, np.ndarray],
             secs: float, shadow: bool) -> None:
        now = time.time()
        outs = {k: np.asarray(v).tolist() for k, v in out.items()}
        records = [{"request_id": key, "time": now, "model": model.name,
                    "version": model.version, "variant": variant, "inputs": {c: cols[c][i] for c in cols},
                    "outputs": {k: outs[k][i] for k in outs}, "latency_ms": secs * 1000.0, "shadow": shadow}
                   for i, key in enumerate(ids)]
        try:
            self.sink.write(records)
        except Exception as exc:  # noqa: BLE001 - a logging failure must not fail the prediction
            log.warning("prediction sink failed: %s", exc)

    def _shadow(self, name: str, ids: list[str], cols: dict[str, list[Any]], n: int) -> None:
        variant = self.variants.items.get(name)
        if variant is None:
            return
        model = variant.model
        try:
            t0 = time.perf_counter()
            checked = model.checker.columns(dict(cols), n)
            if checked.rejected:  # the shadow knows fewer categories: it predicts the rows it can
                keep, checked, _ = kept_rows(checked, checked.rejected, n)
                if keep is None:
                    return
                ids = [ids[i] for i in keep]
                n = len(keep)
            out = model.predict_columns(checked, n)
            self.metrics.predicted(model.name, str(model.version), name, True, n, 0.0)
            if self.log_predictions:
                self._log(ids, model, name, checked, out, time.perf_counter() - t0, shadow=True)
        except Exception as exc:  # noqa: BLE001 - a shadow never affects the served answer
            log.warning("shadow variant %s failed on %s: %s", name, ids[0] if ids else "?", exc)

    # ---- the prediction endpoints: shared by the FastAPI routes and the raw fast lane -------------
    async def h_invocations(self, headers: Any, body: bytes, rid: str) -> dict[str, Any]:
        ctype = headers.get("content-type", "")
        answer = await self.predict(headers, body, rid, lambda b, checker: columns_from_mlflow(b, ctype, checker))
        return {"predictions": records_out(answer.out, answer.rejected)}

    async def h_predict(self, headers: Any, body: bytes, rid: str) -> dict[str, Any]:
        def parse(b: bytes, checker: Any) -> Any:
            doc = parse_json(b)
            if isinstance(doc, dict) and set(doc) == {"records"}:
                doc = doc["records"]
            rows = [doc] if isinstance(doc, dict) else doc
            return checker.records(rows, where="records"), len(rows) if isinstance(rows, list) else 0

        a = await self.predict(headers, body, rid, parse)
        return {"request_id": a.rid, "model": a.model.name, "version": a.model.version, "variant": a.variant,
                "predictions": records_out(a.out, a.rejected)}

    async def h_v2_infer(self, name: str, headers: Any, body: bytes, rid: str, version: str | None = None
                         ) -> dict[str, Any] | BinaryBody:
        """V2 inference, JSON or with binary tensors (in, out or both: v2_binary)."""
        if version is not None:
            target: str | None = self.variant_for(name, version).name
        else:
            target = self.primary(name).name if name != self.variants.model_name else None
        holder: dict[str, Any] = {}

        def parse(b: bytes, checker: Any) -> Any:
            head, blob = split_body(b, headers.get(HEADER))
            doc = parse_json(head)
            if isinstance(doc, dict):
                holder["doc"] = doc
                if isinstance(doc.get("inputs"), list):
                    decode_inputs(doc["inputs"], blob)
            elif blob:
                raise InputError("binary data follows a JSON header that is not an object", field="body", status=400)
            return columns_from_v2(doc, checker)

        a = await self.predict(headers, body, rid, parse, variant_name=target, version=version)
        rid, variant, model = a.rid, a.variant, a.model
        doc = holder.get("doc", {})
        rejecting = model.checker.unknown_category == "reject"
        tensors = {t["name"]: t for t in v2_outputs(a.out, a.rejected, with_error=rejecting)}
        default = list(tensors) if a.rejected else [t for t in tensors if t != "error"]  # `error` on request
        names, binary = wanted_outputs(doc, list(tensors), default)
        payload: dict[str, Any] = {"model_name": self.variants.model_name, "model_version": str(model.version),
                                   "parameters": {"content_type": "pd", "request_id": rid, "variant": variant},
                                   "outputs": [tensors[n] for n in names]}
        if isinstance(doc.get("id"), str):
            payload["id"] = doc["id"]
        if not binary:
            return payload
        payload["outputs"], blob = encode_outputs(payload["outputs"], binary)
        head = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
        return BinaryBody(head + blob, len(head))

    def fast_handler(self, method: str, path: str) -> Any:
        """The handler the fast lane runs for this request, or None (FastAPI handles it)."""
        if method != "POST":
            return None
        if path == "/predict":
            return self.h_predict
        if path == "/invocations":
            return self.h_invocations
        if path.startswith("/v2/models/") and path.endswith("/infer"):
            parts = path[len("/v2/models/"):-len("/infer")].split("/")
            if len(parts) == 1 and parts[0]:
                return lambda headers, body, rid: self.h_v2_infer(parts[0], headers, body, rid)
            if len(parts) == 3 and parts[0] and parts[1] == "versions" and parts[2]:
                return lambda headers, body, rid: self.h_v2_infer(parts[0], headers, body, rid, version=parts[2])
        return None

    def variant_for(self, name: str, version: str) -> Any:
        """The variant `/v2/models/{name}/versions/{version}` names: `name` is the model (any variant
        serving that version) or a variant (which must serve it)."""
        first = self.primary(name)  # a 404 for a name this server does not serve
        for v in [first] if name in self.variants.items else self.variants.items.values():
            if str(v.model.version) == version:
                return v
        raise self._not_served(name, version)

    def _not_served(self, name: str, version: str) -> InputError:
        serving = sorted({str(v.model.version) for v in self.variants.items.values()})
        return InputError(f"model '{name}' version '{version}' is not served here (serving versions {serving})",
                          field="version", status=404)

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
            return json_response({"error": exc.message, "field": exc.field}, exc.status)

        @app.exception_handler(StarletteHTTPException)
        async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
            return json_response({"error": str(exc.detail)}, exc.status_code)

        @app.exception_handler(Exception)
        async def server_error(request: Request, exc: Exception) -> Response:
            log.exception("internal error on %s", request.url.path)
            return json_response({"error": f"internal error ({type(exc).__name__}); request id "
                                   f"{request.scope.get('mlbp.request_id')}"}, 500)

        add_routes(app, self)
        return RequestMiddleware(FastLane(app, self), self.metrics, self.options.max_body_bytes)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.options.poll_seconds)
            try:
                await self.refresh()
            except Exception as exc:  # noqa: BLE001 - keep polling
                log.warning("alias poll failed: %s", exc)

