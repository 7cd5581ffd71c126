"""Clients that hang up early cost the server that connection only.

A client that pipelines requests on one connection and closes it before reading the answers makes
the server's next write fail (EPIPE). That must be an error for that connection, handled by the
server, never the end of the process: `mlbp serve` and `mlbp ui` run here as a user starts them,
as processes, and must still answer afterwards. (The CLI used to reset SIGPIPE to its default for
every command, so one such client stopped either server with exit status 141, silently.)"""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from .conftest import free_port, mlbp_process


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
    serve_port, ui_port = free_port(), free_port()
    with mlbp_process(["serve", f"deploy.rest.port={serve_port}", "deploy.rest.poll_seconds=0"],
                      example["root"], "/v2/health/ready") as (serve, _, serve_base), \
            mlbp_process(["ui", f"registry.ui.port={ui_port}"], example["root"], "/") as (ui, _, ui_base):
        predict, docs = _post_json("/predict", good_row), _get("/openapi.json")
        hang_up_early(serve_port, [docs, predict] * 25, times)
        hang_up_early(ui_port, [_get("/")] * 50, times)
        time.sleep(0.5)
        assert serve.poll() is None, f"mlbp serve exited with {serve.returncode}"
        assert ui.poll() is None, f"mlbp ui exited with {ui.returncode}"
        # The servers may still be working through requests the hung-up clients left queued (50,000
        # of them in the slow test, on two shared cores): answering late is fine, not answering is not.
        assert httpx.post(serve_base + "/predict", json=good_row, timeout=120).status_code == 200
        assert httpx.get(ui_base + "/", timeout=120).status_code == 200


def test_servers_outlive_clients_that_hang_up_early(example, good_row):
    _survives(example, good_row, times=20)


@pytest.mark.slow
def test_servers_outlive_a_thousand_clients_that_hang_up_early(example, good_row):
    _survives(example, good_row, times=1000)
