"""Clients that hang up early cost the server that connection only.

A client that pipelines requests on one connection and closes it before reading the answers makes
the server's next write fail (EPIPE). That must be an error for that connection, handled by the
server, never the end of the process: `mlbp serve` and `mlbp ui` run here as a user starts them,
as processes, and must still answer afterwards. (The CLI used to reset SIGPIPE to its default for
every command, so one such client stopped either server with exit status 141, silently.)"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def mlbp_process(args: list[str], cwd: Path, ready_path: str):
    """`python -m mlbp.cli ARGS` in `cwd`, until it answers 200 on `ready_path`; SIGTERM at the end."""
    proc = subprocess.Popen([sys.executable, "-m", "mlbp.cli", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    port = int(next(a.split("=", 1)[1] for a in args if a.split("=", 1)[0].endswith(".port")))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + ready_path, timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        yield proc, port, base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def hang_up_early(port: int, requests: list[bytes], times: int) -> None:
    """Pipeline `requests` on one connection and hang up without reading an answer; `times` times.
    The server's first answer meets a closed socket (our kernel answers with a reset), so its next
    writes on that connection fail with EPIPE."""
    for _ in range(times):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"".join(requests))


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def _post_json(path: str, payload: object) -> bytes:
    body = json.dumps(payload).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _survives(example, good_row, times: int) -> None:
    serve_port, ui_port = _free_port(), _free_port()
    with mlbp_process(["serve", f"deploy.rest.port={serve_port}", "deploy.rest.poll_seconds=0"],
                      example["root"], "/v2/health/ready") as (serve, _, serve_base), \
            mlbp_process(["ui", f"registry.ui.port={ui_port}"], example["root"], "/") as (ui, _, ui_base):
        predict, docs = _post_json("/predict", good_row), _get("/openapi.json")
        hang_up_early(serve_port, [docs, predict] * 25, times)
        hang_up_early(ui_port, [_get("/")] * 50, times)
        time.sleep(0.5)
        assert serve.poll() is None, f"mlbp serve exited with {serve.returncode}"
        assert ui.poll() is None, f"mlbp ui exited with {ui.returncode}"
        assert httpx.post(serve_base + "/predict", json=good_row, timeout=10).status_code == 200
        assert httpx.get(ui_base + "/", timeout=10).status_code == 200


def test_servers_outlive_clients_that_hang_up_early(example, good_row):
    _survives(example, good_row, times=20)


@pytest.mark.slow
def test_servers_outlive_a_thousand_clients_that_hang_up_early(example, good_row):
    _survives(example, good_row, times=1000)
