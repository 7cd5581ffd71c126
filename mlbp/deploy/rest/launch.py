"""Start a server with uvicorn: on a port, or on an already bound socket (tests, smoke stage).

`python -m mlbp.deploy.rest.launch --bundle PATH --port 0 --port-file F` is what the smoke stage runs
in a fresh process; `mlbp serve` builds the same Server from config.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
from pathlib import Path
from typing import Any

from mlbp.deploy.rest.app import Server
from mlbp.deploy.rest.options import serving_options
from mlbp.deploy.rest.variants import Source, Variants
from mlbp.deploy.runtime.signature import UNKNOWN_ALIASES
from mlbp.engine.children import arm
from mlbp.engine.errors import MlbpError


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say so, and without
    # it Nagle + delayed ACKs add ~40 ms to every response
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def uvicorn_server(server: Server, graceful_seconds: float = 10.0, log_level: str = "warning") -> Any:
    import uvicorn

    config = uvicorn.Config(server.app, lifespan="on", log_level=log_level, access_log=False,
                            timeout_graceful_shutdown=graceful_seconds)
    return uvicorn.Server(config)


def serve(server: Server, host: str = "127.0.0.1", port: int = 8080, graceful_seconds: float = 10.0,
          port_file: str | None = None) -> None:
    """Blocks until SIGINT/SIGTERM; in-flight requests finish (up to graceful_seconds)."""
    sock = bind(host, port)
    if port_file:
        Path(port_file).write_text(str(sock.getsockname()[1]))
    uvicorn_server(server, graceful_seconds).run(sockets=[sock])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mlbp.deploy.rest.launch", description=__doc__)
    p.add_argument("--bundle", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--micro-batch", action="store_true")
    p.add_argument("--no-fast-path", action="store_true")
    p.add_argument("--unknown-category", choices=["reject", "score", "error", "missing"], default="reject")
    p.add_argument("--extra-columns", choices=["ignore", "error"], default="ignore")
    p.add_argument("--options", help="serving options as JSON (deploy.rest's ServingOptions), over the flags")
    p.add_argument("--prediction-log", help="log every prediction as partitioned Parquet under this folder")
    a = p.parse_args(argv)
    arm()  # started by a pipeline's serve_check: do not outlive it
    logging.basicConfig(level=logging.WARNING)
    try:
        options = serving_options({"micro_batch": a.micro_batch, "fast_path": not a.no_fast_path,
                                   "unknown_category": UNKNOWN_ALIASES.get(a.unknown_category, a.unknown_category),
                                   "extra_columns": a.extra_columns, **json.loads(a.options or "{}")}, "--options")
        variants = Variants({"default": Source(path=a.bundle)}, options.load_options())
    except MlbpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sink = None
    if a.prediction_log:
        from mlbp.monitor.prediction_log import PredictionLog

        sink = PredictionLog(a.prediction_log)
    server = Server(variants, options.server_options(), sink=sink)
    serve(server, a.host, a.port, port_file=a.port_file)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
