"""Request bodies of the protocols clients already speak -> validated columns, and outputs back.

MLflow scoring server (`POST /invocations`): JSON with exactly one of dataframe_split,
dataframe_records, instances, inputs (plus optional params), or text/csv with a header row.
Open Inference Protocol V2 (`POST /v2/models/{name}/infer`): one input tensor per column,
`"parameters": {"content_type": "pd"}`. Every malformed body is an InputError (4xx), never a 5xx.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import numpy as np
import orjson

from mlbp.deploy.runtime.signature import InputChecker, InputError, is_integral

MLFLOW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
V2_NUMERIC = {"FP16", "FP32", "FP64", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"}
V2_INT = {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"}


# The bare literals Python's json module (and so MLflow's client, and pandas-made bodies) writes
# for float values JSON cannot hold. NaN is how they send a missing value; an infinity stays a
# number, which the signature check refuses per column unless the column allows it.
NONFINITE = {"NaN": None, "Infinity": math.inf, "-Infinity": -math.inf}


def parse_json(body: bytes) -> Any:
    """Strict JSON, plus the NaN / Infinity / -Infinity literals (strict parsers, orjson among
    them, refuse those; the fast parser runs first and the lenient one only when it fails)."""
    if not body:
        raise InputError("the request body is empty; send JSON", field="body", status=400)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        error = exc
    if b"NaN" in body or b"Infinity" in body:
        try:
            return json.loads(body, parse_constant=NONFINITE.__getitem__)
        except (ValueError, RecursionError):
            pass
    raise InputError(f"the request body is not valid JSON: {error}", field="body", status=400) from None


def columns_from_mlflow(body: bytes, content_type: str, checker: InputChecker) -> tuple[dict[str, list[Any]], int]:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "text/csv":
        return _csv(body, checker)
    if ctype not in ("application/json", ""):
        raise InputError(f"unsupported content type '{content_type}'; use application/json or text/csv",
                         field="content-type", status=415)
    doc = parse_json(body)
    if not isinstance(doc, dict):
        raise InputError(f"expected a JSON object with one of {list(MLFLOW_KEYS)}", field="body", status=400)
    present = [k for k in MLFLOW_KEYS if k in doc]
    unknown = [k for k in doc if k not in MLFLOW_KEYS and k != "params"]
    if len(present) != 1 or unknown:
        raise InputError(f"send exactly one of {list(MLFLOW_KEYS)} (got {present or 'none'}"
                         + (f", unknown keys {unknown}" if unknown else "") + ")",
                         field=(unknown or present or ["body"])[0], status=400)
    key = present[0]
    value = doc[key]
    if key == "dataframe_split":
        return _split(value, checker)
    if key == "inputs" and isinstance(value, dict):
        cols = checker.columns(value, where="inputs")
        return cols, len(next(iter(cols.values())))
    cols = checker.records(value, where=key)
    return cols, len(value)


def _split(value: Any, checker: InputChecker) -> tuple[dict[str, list[Any]], int]:
    if not isinstance(value, dict) or not isinstance(value.get("columns"), list) or not isinstance(
            value.get("data"), list):
        raise InputError("dataframe_split needs 'columns' (list of names) and 'data' (list of rows)",
                         field="dataframe_split", status=400)
    names, data = value["columns"], value["data"]
    if not data:
        raise InputError("dataframe_split.data is empty", field="dataframe_split.data", status=400)
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise InputError("dataframe_split.columns must be unique strings", field="dataframe_split.columns",
                         status=400)
    cols: dict[str, list[Any]] = {n: [] for n in names}
    for i, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(names):
            raise InputError(f"dataframe_split.data[{i}] must be a list of {len(names)} values",
                             field=f"dataframe_split.data[{i}]", status=400)
        for n, v in zip(names, row, strict=True):
            cols[n].append(v)
    return checker.columns(cols, len(data), where="dataframe_split"), len(data)


def _csv(body: bytes, checker: InputChecker) -> tuple[dict[str, list[Any]], int]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the CSV body is not UTF-8", field="body", status=400) from None
    try:  # newline="": the csv module's own line handling (a lone \r ends a row, as in a file)
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:  # e.g. a NUL byte or an unterminated quote: the client's body, not a 500
        raise InputError(f"the CSV body cannot be parsed: {exc}", field="body", status=400) from None
    if len(rows) < 2:
        raise InputError("the CSV body needs a header row and at least one data row", field="body", status=400)
    header, data = rows[0], rows[1:]
    cols: dict[str, list[Any]] = {h: [] for h in header}
    for i, row in enumerate(data, start=1):
        if len(row) != len(header):
            raise InputError(f"CSV row {i} has {len(row)} fields, the header {len(header)}", field=f"row {i}",
                             status=400)
        for h, v in zip(header, row, strict=True):
            cols[h].append(_csv_value(h, v, checker, i))
    return checker.columns(cols, len(data), where="csv"), len(data)


def _csv_value(col: str, text: str, checker: InputChecker, row: int) -> Any:
    """CSV carries only text: an empty field is missing; numeric columns must parse as numbers."""
    if text == "":
        return None
    spec = checker.specs.get(col)
    if spec is None or spec["kind"] != "numeric":
        return text
    if spec.get("dtype") == "bool":
        flag = {"true": True, "false": False, "1": True, "0": False}.get(text.strip().lower())
        if flag is None:
            raise InputError(f"column '{col}' row {row}: expected true or false, got {text!r}", field=col)
        return flag
    try:
        digits = text.lstrip("-")
        return int(text) if spec.get("dtype") == "int" and digits.isascii() and digits.isdigit() else float(text)
    except ValueError:
        raise InputError(f"column '{col}' row {row}: expected a number, got {text!r}", field=col) from None


def columns_from_v2(doc: Any, checker: InputChecker) -> tuple[dict[str, list[Any]], int]:
    if not isinstance(doc, dict) or not isinstance(doc.get("inputs"), list) or not doc["inputs"]:
        raise InputError("a V2 request needs 'inputs': a list of tensors, one per column", field="inputs",
                         status=400)
    params = doc.get("parameters") or {}
    if not isinstance(params, dict):
        raise InputError("'parameters' must be an object", field="parameters", status=400)
    ctype = params.get("content_type", "pd")
    if ctype != "pd":
        raise InputError(f"content_type '{ctype}' is not supported; send one input per column with "
                         "parameters.content_type='pd'", field="parameters.content_type", status=400)
    cols: dict[str, list[Any]] = {}
    for i, tensor in enumerate(doc["inputs"]):
        where = f"inputs[{i}]"
        if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
            raise InputError(f"{where} needs a 'name'", field=where, status=400)
        name = tensor["name"]
        for key in ("shape", "datatype", "data"):
            if key not in tensor:
                raise InputError(f"input '{name}' needs '{key}'", field=name, status=400)
        shape, dtype, data = tensor["shape"], tensor["datatype"], tensor["data"]
        if not isinstance(shape, list) or not shape or not all(type(s) is int and s >= 0 for s in shape):
            raise InputError(f"input '{name}': shape must be a list of non-negative integers", field=name, status=400)
        if not isinstance(data, list):
            raise InputError(f"input '{name}': data must be a list", field=name, status=400)
        if data and all(isinstance(d, list) for d in data):
            data = [x for d in data for x in d]  # [[v], [v]] with shape [n, 1]
        if int(np.prod(shape)) != len(data) or (len(shape) > 1 and int(np.prod(shape[1:])) != 1):
            raise InputError(f"input '{name}': shape {shape} does not match {len(data)} values (one column each)",
                             field=name, status=400)
        spec = checker.specs.get(name)
        if spec is not None:
            if spec.get("dtype") == "bool":
                if dtype != "BOOL":
                    raise InputError(f"input '{name}': datatype must be BOOL for a boolean column", field=name,
                                     got=dtype)
            elif spec["kind"] == "numeric" and dtype not in V2_NUMERIC:
                raise InputError(f"input '{name}': datatype {dtype} is not numeric", field=name,
                                 expected=sorted(V2_NUMERIC), got=dtype)
            if spec["kind"] == "categorical" and dtype != "BYTES":
                raise InputError(f"input '{name}': datatype must be BYTES for a category", field=name, got=dtype)
            if dtype in V2_INT:  # the same integer rule as every other protocol (3500.0 is 3500)
                bad = next((i for i, v in enumerate(data) if v is not None and not is_integral(v)), None)
                if bad is not None:
                    raise InputError(f"input '{name}' row {bad}: datatype {dtype} but {data[bad]!r} is not an "
                                     "integer", field=name)
        if name in cols:
            raise InputError(f"input '{name}' appears twice", field=name, status=400)
        cols[name] = data
    n = len(next(iter(cols.values())))
    return checker.columns(cols, n, where="inputs"), n


V2_DTYPES = {"f": "FP64", "i": "INT64", "u": "UINT64", "b": "BOOL"}


def v2_outputs(outputs: dict[str, np.ndarray], rejected: dict[int, Any] | None = None,
               with_error: bool = False) -> list[dict[str, Any]]:
    """One tensor per output, and (when rows were refused, or `with_error`) an `error` BYTES
    tensor: the row's error, "" where it was scored."""
    tensors = [{"name": k, "shape": [len(v)], "datatype": V2_DTYPES.get(np.asarray(v).dtype.kind, "BYTES"),
                "data": np.asarray(v).tolist()} for k, v in outputs.items()]
    if rejected or with_error:
        rejected = rejected or {}
        n = len(next(iter(outputs.values())))
        errors = [rejected[i].message if i in rejected else "" for i in range(n)]
        tensors.append({"name": "error", "shape": [n], "datatype": "BYTES", "data": errors})
    return tensors


def records_out(outputs: dict[str, np.ndarray], rejected: dict[int, Any] | None = None) -> list[dict[str, Any]]:
    """A record per row; a refused row's record is its error (`error`, `field`, `row`)."""
    lists = {k: np.asarray(v).tolist() for k, v in outputs.items()}
    n = len(next(iter(lists.values())))
    if not rejected:
        return [{k: lists[k][i] for k in lists} for i in range(n)]
    return [{"error": rejected[i].message, "field": rejected[i].field, "row": i} if i in rejected
            else {k: lists[k][i] for k in lists} for i in range(n)]
