"""Fuzz `mlbp ui`'s dashboard against its own OpenAPI document with schemathesis: no server error,
and every status code and content type it answers with is one the document declares. Plus the
inputs that used to get a 500: a Unicode digit or a 20-digit number as a version, JSON nested
deeper than Python's recursion limit, a NUL byte in a file path."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mlbp.report.dashboard.app import create_app
from tests.asgi_server import served
from tests.report.test_dashboard import KEY


@pytest.fixture
def dashboard(registry, outputs):
    with served(create_app(registry, "shop", outputs, admin_key=KEY)) as base:
        yield base


@pytest.mark.parametrize(("path", "status"), [
    ("/models/shop/v/%C2%B9", 404),            # '¹': isdigit() is true, int() fails
    ("/api/models/shop/v/%C2%B9/card", 404),
    ("/models/shop/v/99999999999999999999", 404),  # past any integer the database holds
    ("/api/models/shop/v/99999999999999999999/card", 404),
    ("/api/models/shop/v/v0/card", 404),
    ("/files/run%00.html", 404),                 # a NUL byte: os.stat raises
    ("/files/" + "a/" * 600 + "x.html", 404),
    ("/files/a%0Ab.html", 404),                  # a line break: no route matches (was Starlette's JSON)
    ("/models/a%0Ab", 404),
    ("/api/models/a%0Ab/v/1/card", 404),
])
def test_inputs_that_used_to_be_server_errors(dashboard, path, status):
    r = httpx.get(dashboard + path, timeout=10)
    assert r.status_code == status, r.text[:300]
    family = "application/json" if path.startswith("/api/") else "text/html"
    assert r.headers["content-type"].startswith(family), r.headers["content-type"]


def test_deeply_nested_json_is_a_client_error(dashboard):
    deep = b"[" * 100_000 + b"]" * 100_000
    for path in ("/api/alerts", "/api/models/shop/approve"):
        r = httpx.post(dashboard + path, content=deep, timeout=10,
                       headers={"content-type": "application/json", "X-MLBP-Admin-Key": KEY})
        assert r.status_code == 400, (path, r.status_code, r.text[:200])


def test_a_unicode_digit_is_not_a_version_on_the_command_line(project_dir, capsys):
    from mlbp.cli import main

    assert main(["registry", "show", "¹"]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "¹" in err


@pytest.mark.slow
def test_the_dashboard_conforms_to_its_openapi(dashboard):
    exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    assert exe, "schemathesis is in the dev extras: pip install -e '.[dev]'"
    proc = subprocess.run([exe, "run", f"{dashboard}/openapi.json", "--checks",
                           "not_a_server_error,status_code_conformance,content_type_conformance",
                           "--max-examples", "30", "--no-color", "-H", f"X-MLBP-Admin-Key: {KEY}"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
