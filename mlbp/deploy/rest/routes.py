"""The REST routes: MLflow `/invocations`, Open Inference Protocol V2, `/predict`, `/feedback`,
health, Prometheus `/metrics`, admin reload."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from mlbp.data.labels import Labels, label_key
from mlbp.deploy.rest.openapi import FEEDBACK_BODY, INVOCATIONS_BODY, PREDICT_BODY, V2_BODY, json_response, responses
from mlbp.deploy.rest.payloads import parse_json
from mlbp.deploy.rest.v2_binary import BinaryBody
from mlbp.deploy.runtime.signature import InputError

if TYPE_CHECKING:
    from mlbp.deploy.rest.app import Server

_json = json_response

def _v2_response(payload: dict[str, Any] | BinaryBody) -> Response:
    if isinstance(payload, BinaryBody):  # binary outputs: the JSON header's length says where they start
        return Response(payload.body, media_type="application/octet-stream",
                        headers={"Inference-Header-Content-Length": str(payload.header_length)})
    return _json(payload)


def _v2_metadata(server: Server, v: Any) -> dict[str, Any]:
    """V2 model metadata for the variant `v`: the version it serves, its tensors (one per column)."""
    m = v.model
    sig = m.signature
    v2_numeric = {"int": "INT64", "bool": "BOOL"}
    inputs = [{"name": c, "datatype": v2_numeric.get(sig["inputs"][c].get("dtype"), "FP64")
               if sig["inputs"][c]["kind"] == "numeric" else "BYTES", "shape": [-1]}
              for c in m.checker.features]
    answer = {"int": "INT64", "bool": "BOOL", "float": "FP64"}.get(Labels.from_info(sig).dtype(), "BYTES") \
        if sig["task"] != "regression" else "FP64"  # the prediction is a label in the user's own type
    outputs = [{"name": o, "datatype": answer if o == "prediction" else "FP64", "shape": [-1]} for o in m.outputs]
    if m.checker.unknown_category == "reject":  # present in an answer only when a row was refused
        outputs.append({"name": "error", "datatype": "BYTES", "shape": [-1]})
    return {"name": server.variants.model_name, "versions": [str(m.version)], "platform": "mlbp",
            "inputs": inputs, "outputs": outputs,
            "parameters": {"content_type": "pd", "variant": v.name, "fast_path": m.fast_path,
                           "unknown_category": m.checker.unknown_category, "extra_columns": m.checker.extra_columns,
                           "variants": {k: str(x) for k, x in server.variants.versions().items()}}}


def add_routes(app: FastAPI, server: Server) -> None:
    """Every route besides the fast lane's; handlers share the Server's prediction core."""

    @app.post("/invocations", summary="MLflow scoring protocol", openapi_extra=INVOCATIONS_BODY,
              responses=responses(400, 401, 403, 413, 415, 422, 503))
    async def invocations(request: Request) -> Response:
        return _json(await server.h_invocations(request.headers, await request.body(),
                                                request.scope["mlbp.request_id"]))

    @app.post("/predict", summary="plain JSON: a row, a list of rows or {records: [...]}",
              openapi_extra=PREDICT_BODY, responses=responses(400, 401, 403, 413, 422, 503))
    async def predict(request: Request) -> Response:
        return _json(await server.h_predict(request.headers, await request.body(),
                                            request.scope["mlbp.request_id"]))

    @app.post("/v2/models/{name}/infer", summary="Open Inference Protocol V2 inference", openapi_extra=V2_BODY,
              responses=responses(400, 401, 403, 404, 413, 422, 503))
    async def v2_infer(name: str, request: Request) -> Response:
        return _v2_response(await server.h_v2_infer(name, request.headers, await request.body(),
                                                    request.scope["mlbp.request_id"]))

    @app.post("/v2/models/{name}/versions/{version}/infer", summary="V2 inference by a version this server serves",
              openapi_extra=V2_BODY, responses=responses(400, 401, 403, 404, 413, 422, 503))
    async def v2_infer_version(name: str, version: str, request: Request) -> Response:
        return _v2_response(await server.h_v2_infer(name, request.headers, await request.body(),
                                                    request.scope["mlbp.request_id"], version=version))

    @app.get("/v2/models/{name}", summary="V2 model metadata (reports the version serving)",
             responses=responses(401, 403, 404))
    async def v2_model(name: str) -> Response:
        return _json(_v2_metadata(server, server.primary(name)))

    @app.get("/v2/models/{name}/versions/{version}", summary="V2 metadata of a version this server serves",
             responses=responses(404))
    async def v2_model_version(name: str, version: str) -> Response:
        return _json(_v2_metadata(server, server.variant_for(name, version)))

    @app.get("/v2/models/{name}/ready", summary="V2 model readiness", responses=responses(404, 503))
    async def v2_model_ready(name: str) -> Response:
        server.primary(name)
        if not server.ready:
            raise InputError("not ready", field="name", status=503)
        return _json({"name": name, "ready": True})

    @app.get("/v2/models/{name}/versions/{version}/ready", summary="V2 readiness of a version",
             responses=responses(404, 503))
    async def v2_model_version_ready(name: str, version: str) -> Response:
        server.variant_for(name, version)
        if not server.ready:
            raise InputError("not ready", field="name", status=503)
        return _json({"name": name, "version": version, "ready": True})

    @app.get("/v2/health/live", summary="V2 liveness")
    async def live() -> Response:
        return _json({"live": True})

    @app.get("/v2/health/ready", summary="V2 readiness", responses=responses(503))
    async def ready() -> Response:
        if not server.ready:
            return _json({"error": "not ready"}, 503)
        return _json({"ready": True})

    @app.get("/v2", summary="V2 server metadata")
    async def v2_server() -> Response:
        return _json({"name": "mlbp", "version": "1", "extensions": []})

    @app.get("/ping", summary="MLflow scoring-server liveness: 200 once the model is loaded",
             response_class=PlainTextResponse,
             responses={503: {"description": "not ready", "content": {"text/plain": {}}}})
    async def ping() -> Response:
        # a newline, as `mlflow models serve` answers; MLflow's client polls it before invoking
        return PlainTextResponse("\n" if server.ready else "not ready\n", status_code=200 if server.ready else 503)

    @app.get("/version", summary="the serving software's version, as MLflow's scoring server reports its own",
             response_class=PlainTextResponse)
    async def version() -> Response:
        from mlbp import __version__

        return PlainTextResponse(__version__)

    @app.get("/health", summary="model name, variants, versions, swaps, fast path", responses=responses(503))
    async def health() -> Response:
        body = {"status": "ok" if server.ready else "starting", "model": server.variants.model_name,
                "variants": {n: {"version": v.model.version, "source": v.source.describe(), "swaps": v.swaps,
                                 "fast_path": v.model.fast_path, "last_error": v.last_error}
                             for n, v in server.variants.items.items()},
                "allocation": server.router.allocation(),
                "micro_batching": None if server.batcher is None else {
                    "batches": server.batcher.batches, "rows": server.batcher.rows}}
        return _json(body, 200 if server.ready else 503)

    @app.get("/metrics", summary="Prometheus metrics", responses=responses(401, 403),
             response_class=PlainTextResponse)
    async def metrics(request: Request) -> Response:
        server.keys.check(request.headers, "admin")
        return Response(server.metrics.render(), media_type="text/plain; version=0.0.4")

    @app.post("/feedback", summary="the true label or a reward for an earlier prediction",
              openapi_extra=FEEDBACK_BODY, responses=responses(400, 401, 403, 404, 413, 422))
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
        if "reward" in doc and type(value) not in (int, float):
            raise InputError("reward must be a number", field="reward", status=422)
        if "label" in doc and type(value) not in (int, float, str, bool):
            raise InputError("label must be a number, a string or a boolean: the class as in the training data",
                             field="label", status=422)
        known = server.requests.get(doc["request_id"])
        if known is None:
            raise InputError(f"unknown request id '{doc['request_id']}' (or forgotten: the server keeps the last "
                             f"{server.options.remember_requests})", field="request_id", status=404)
        variant, version, prediction = known
        sig = server.variants.signature_of(variant)
        if "label" in doc and sig is not None and sig.get("task") != "regression":
            labels = Labels.from_info(sig)  # labels arrive in the user's own form: "Yes", true, 2
            if not labels.knows(value):
                raise InputError(f"label {value!r} is not a class of this model", field="label", status=422,
                                 expected=labels.classes, got=value)
        record = {"request_id": doc["request_id"], "time": time.time(), "model": server.variants.model_name,
                  "version": version, "variant": variant}
        if "reward" in doc:
            record["reward"] = float(value)
            reward = float(value)
        else:
            record["label"] = value
            reward = 1.0 if label_key(prediction) == label_key(value) else 0.0
        server.sink.write_feedback([record])
        server.router.reward(variant, reward)
        return _json({"ok": True, "variant": variant, "reward": reward})

    @app.post("/admin/reload", summary="check registry aliases now and hot-swap moved ones",
              responses=responses(401, 403))
    async def reload(request: Request) -> Response:
        server.keys.check(request.headers, "admin")
        changed = await server.refresh()
        return _json({"changed": changed, "versions": server.variants.versions()})
