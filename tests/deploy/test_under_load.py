"""`mlbp serve` under load from a separate process: wrk at 32 connections for a minute (as
bench/serve.py runs it), then the server must still be up and answering. Every answer must be a
2xx and no connection may fail; wrk's timeouts (a reply slower than its 2 s limit on a busy
machine) are reported apart. .ci/services.sh installs wrk (Debian's package)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from .conftest import free_port, mlbp_process

POST_LUA = Path(__file__).resolve().parents[2] / "bench" / "post.lua"
SECONDS = int(os.environ.get("MLBP_WRK_SECONDS", "60"))


@pytest.mark.slow
@pytest.mark.timeout(SECONDS + 180)
def test_serve_stays_up_under_32_connections_for_a_minute(example, good_row, tmp_path):
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (CI installs Debian's wrk in .ci/services.sh)")
    body = tmp_path / "row.json"
    body.write_text(json.dumps(good_row))
    port = free_port()
    with mlbp_process(["serve", f"deploy.rest.port={port}", "deploy.rest.poll_seconds=0"], example["root"],
                      "/v2/health/ready") as (proc, _, base):
        out = subprocess.run(["wrk", "-t", "2", "-c", "32", "-d", f"{SECONDS}s", "-s", str(POST_LUA),
                              f"{base}/predict"], env={**os.environ, "BODY_FILE": str(body)},
                             capture_output=True, text=True, timeout=SECONDS + 60)
        assert out.returncode == 0, out.stderr
        m = re.search(r"MLBP .*requests=(\d+) .*non2xx=(\d+) connect=(\d+) read=(\d+) write=(\d+) timeout=(\d+)",
                      out.stdout)
        assert m, out.stdout
        requests, non2xx, connect, read, write, timeouts = map(int, m.groups())
        print(f"wrk: {requests} requests in {SECONDS}s, {timeouts} timeouts (reported, not failed)")
        assert proc.poll() is None, f"mlbp serve exited with {proc.returncode}"
        assert requests > 0 and non2xx == 0, out.stdout
        assert (connect, read, write) == (0, 0, 0), out.stdout
        assert httpx.post(f"{base}/predict", json=good_row, timeout=10).status_code == 200
