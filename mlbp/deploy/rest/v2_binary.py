"""The Open Inference Protocol's binary tensor extension, which tritonclient uses by default
(`binary_data=True`): the body is a JSON header of `Inference-Header-Content-Length` bytes, then
the raw bytes of every tensor whose `parameters.binary_data_size` says so, in order. Fixed-size
types are little-endian and row-major; BYTES elements are each a 4-byte little-endian length and
the bytes. A response carries outputs the same way when the request asks
(`parameters.binary_data_output`, or `outputs[].parameters.binary_data`).

A NaN in a floating-point tensor is a missing value, as the NaN literal is in JSON bodies
(payloads.NONFINITE): binary tensors have no null.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlbp.deploy.runtime.signature import InputError

HEADER = "inference-header-content-length"
NUMPY = {"BOOL": "|b1", "INT8": "<i1", "INT16": "<i2", "INT32": "<i4", "INT64": "<i8", "UINT8": "|u1",
         "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8", "FP16": "<f2", "FP32": "<f4", "FP64": "<f8"}


@dataclass(frozen=True)
class BinaryBody:
    """A V2 response with binary outputs: JSON header + raw tensors, and the header's length."""

    body: bytes
    header_length: int


def split_body(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    """(JSON header, binary tensors) of a request; the whole body is JSON without the header."""
    if header_length is None:
        return body, b""
    text = header_length.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > len(body):
        raise InputError(f"Inference-Header-Content-Length is {header_length!r}, but the body has {len(body)} "
                         "bytes", field="Inference-Header-Content-Length", status=400)
    n = int(text)
    return body[:n], body[n:]


def decode_inputs(inputs: list[Any], blob: bytes) -> None:
    """Give every binary input tensor its `data`, read from `blob` in order (in place)."""
    offset = 0
    for i, tensor in enumerate(inputs):
        params = tensor.get("parameters") if isinstance(tensor, dict) else None
        size = params.get("binary_data_size") if isinstance(params, dict) else None
        if size is None:
            continue
        name = str(tensor.get("name", f"inputs[{i}]"))
        if type(size) is not int or size < 0 or offset + size > len(blob):
            raise InputError(f"input '{name}': binary_data_size {size!r} but {len(blob) - offset} bytes remain",
                             field=name, status=400)
        if "data" in tensor:
            raise InputError(f"input '{name}' has both 'data' and binary_data_size", field=name, status=400)
        tensor["data"] = _decode(name, tensor.get("datatype"), blob[offset:offset + size])
        offset += size
    if offset != len(blob):
        raise InputError(f"{len(blob) - offset} bytes of binary data follow the last binary input", field="body",
                         status=400)


def _decode(name: str, datatype: Any, chunk: bytes) -> list[Any]:
    if datatype == "BYTES":
        return _decode_bytes(name, chunk)
    np_type = NUMPY.get(str(datatype))
    if np_type is None:
        raise InputError(f"input '{name}': unknown datatype {datatype!r}", field=name, status=400)
    size = np.dtype(np_type).itemsize
    if len(chunk) % size:
        raise InputError(f"input '{name}': {len(chunk)} bytes is not a whole number of {datatype} values", field=name,
                         status=400)
    values = np.frombuffer(chunk, dtype=np_type).tolist()
    if datatype.startswith("FP"):
        return [None if math.isnan(v) else v for v in values]
    return values


def _decode_bytes(name: str, chunk: bytes) -> list[Any]:
    out, offset = [], 0
    while offset < len(chunk):
        if offset + 4 > len(chunk):
            raise InputError(f"input '{name}': a BYTES element's length is cut off", field=name, status=400)
        (n,) = struct.unpack_from("<I", chunk, offset)
        offset += 4
        if offset + n > len(chunk):
            raise InputError(f"input '{name}': a BYTES element says {n} bytes, {len(chunk) - offset} remain",
                             field=name, status=400)
        try:
            out.append(chunk[offset:offset + n].decode("utf-8"))
        except UnicodeDecodeError:
            raise InputError(f"input '{name}': a BYTES element is not UTF-8 text", field=name, status=400) from None
        offset += n
    return out


def wanted_outputs(doc: dict[str, Any], available: list[str], default: list[str] | None = None
                   ) -> tuple[list[str], set[str]]:
    """The outputs a request asks for, in its order (`default`, else all, when it names none), and
    which of them it wants as binary."""
    params = doc.get("parameters") if isinstance(doc.get("parameters"), dict) else {}
    all_binary = params.get("binary_data_output") is True
    asked = doc.get("outputs")
    if asked is None:
        names = list(default if default is not None else available)
        return names, set(names) if all_binary else set()
    if not isinstance(asked, list) or not all(isinstance(o, dict) and isinstance(o.get("name"), str) for o in asked):
        raise InputError("'outputs' must be a list of {name, parameters}", field="outputs", status=400)
    names, binary = [], set()
    for o in asked:
        if o["name"] not in available:
            raise InputError(f"unknown output '{o['name']}'; this model gives {available}", field="outputs",
                             status=400)
        names.append(o["name"])
        p = o.get("parameters")
        if all_binary or (isinstance(p, dict) and p.get("binary_data") is True):
            binary.add(o["name"])
    return names, binary


def encode_outputs(tensors: list[dict[str, Any]], binary: set[str]) -> tuple[list[dict[str, Any]], bytes]:
    """Move the `data` of the tensors named in `binary` into one blob (in order)."""
    out, chunks = [], []
    for t in tensors:
        if t["name"] not in binary:
            out.append(t)
            continue
        if t["datatype"] == "BYTES":
            raw = b"".join(struct.pack("<I", len(b)) + b for b in (str(v).encode() for v in t["data"]))
        else:
            raw = np.asarray(t["data"], dtype=NUMPY[t["datatype"]]).tobytes()
        chunks.append(raw)
        out.append({k: v for k, v in t.items() if k != "data"} | {"parameters": {"binary_data_size": len(raw)}})
    return out, b"".join(chunks)
