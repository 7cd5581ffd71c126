"""The ceiling for bench/serve.py: a bare ASGI app (no framework) that parses one JSON row with
orjson, encodes it by hand with the fitted encoders' category maps and calls the same raw booster.
Run: MLBP_BUNDLE=path uvicorn bench.ceiling_app:app"""

from __future__ import annotations

import gc
import os

import numpy as np
import orjson

from mlbp.deploy.runtime.compiled import CompiledModel
from mlbp.registry.bundle import load

_bundle = load(os.environ["MLBP_BUNDLE"])
_compiled, _how = CompiledModel.compile(_bundle.model, _bundle.signature, threads=1)
assert _compiled is not None, _how
_NUM = [(c, a, b, f) for c, a, b, f in _compiled.numeric]
_CAT = [(c, codes, miss) for c, codes, miss in _compiled.categorical]
_PREDICT = _compiled.predict_raw
_T = _bundle.manifest.get("threshold") or 0.5
_HEADERS = [(b"content-type", b"application/json")]


async def app(scope, receive, send):  # noqa: ANN001, ANN201 - the bare ASGI signature is the point
    if scope["type"] != "http":
        msg = await receive()
        if msg["type"] == "lifespan.startup":
            gc.collect()
            gc.freeze()  # as mlbp's server does: full collections skip the loaded libraries
            await send({"type": "lifespan.startup.complete"})
            msg = await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        msg = await receive()
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            break
    row = orjson.loads(body)
    x = np.empty((1, len(_NUM) + len(_CAT)))
    j = 0
    for c, a, b, f in _NUM:
        v = row[c]
        x[0, j] = f if v is None else a * v + b
        j += 1
    for c, codes, miss in _CAT:
        v = row[c]
        x[0, j] = miss if v is None else codes.get(v, -1.0)
        j += 1
    p = float(_PREDICT(x)[0])
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": orjson.dumps({"probability": p, "prediction": int(p >= _T)})})
