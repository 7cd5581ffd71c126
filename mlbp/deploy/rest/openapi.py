"""What the OpenAPI document declares for the prediction endpoints: request bodies and every error
code each route can return, so generated clients and fuzzers (schemathesis) learn the contract."""

from __future__ import annotations

from typing import Any

JSON = "application/json"


def json_response(payload: Any, status: int = 200) -> Any:
    """orjson straight into a Response (numpy values included): FastAPI's encoder costs more than a prediction."""
    import orjson
    from fastapi.responses import Response

    return Response(orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY), status_code=status, media_type=JSON)

_ERROR = {"type": "object", "required": ["error"],
          "properties": {"error": {"type": "string"}, "field": {"type": ["string", "null"]}}}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {400: "malformed request", 401: "missing or unknown API key", 403: "the API key lacks the scope",
            404: "unknown model or request id", 413: "request body too large", 415: "unsupported content type",
            422: "input does not match the model's signature (the field is named)", 503: "not ready"}
    return {c: {"description": text[c], "content": {JSON: {"schema": _ERROR}}} for c in codes}


_ROW = {"type": "object", "additionalProperties": True}
PREDICT_BODY = {"requestBody": {"required": True, "content": {JSON: {"schema": {
    "oneOf": [_ROW, {"type": "array", "items": _ROW, "minItems": 1},
              {"type": "object", "required": ["records"],
               "properties": {"records": {"type": "array", "items": _ROW}}}]}}}}}
INVOCATIONS_BODY = {"requestBody": {"required": True, "content": {
    JSON: {"schema": {"type": "object", "description": "exactly one of the four keys (+ optional params)",
                      "properties": {"dataframe_split": {"type": "object", "properties": {
                          "columns": {"type": "array", "items": {"type": "string"}},
                          "data": {"type": "array", "items": {"type": "array"}}}},
                          "dataframe_records": {"type": "array", "items": _ROW},
                          "instances": {"type": "array", "items": _ROW},
                          "inputs": {"oneOf": [{"type": "object"}, {"type": "array", "items": _ROW}]},
                          "params": {"type": "object"}}}},
    "text/csv": {"schema": {"type": "string"}}}}}
V2_BODY = {"requestBody": {"required": True, "content": {JSON: {"schema": {
    "type": "object", "required": ["inputs"],
    "properties": {"id": {"type": "string"}, "parameters": {"type": "object"},
                   "inputs": {"type": "array", "items": {
                       "type": "object", "required": ["name", "shape", "datatype", "data"],
                       "properties": {"name": {"type": "string"}, "shape": {"type": "array", "items": {
                           "type": "integer"}}, "datatype": {"type": "string"}, "data": {"type": "array"}}}}}}}}}}
FEEDBACK_BODY = {"requestBody": {"required": True, "content": {JSON: {"schema": {
    "type": "object", "required": ["request_id"],
    "properties": {"request_id": {"type": "string"}, "label": {"type": ["number", "string"]},
                   "reward": {"type": "number"}}}}}}}
