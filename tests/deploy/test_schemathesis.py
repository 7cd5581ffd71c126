"""Fuzz the running server against its own OpenAPI document with schemathesis: no 5xx, and every
status code and content type it returns is the one the document declares."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import bundle_server, running


@pytest.mark.slow
def test_server_conforms_to_its_openapi(example):
    exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which("schemathesis")
    assert exe, "schemathesis is in the dev extras: pip install -e '.[dev]'"
    with running(bundle_server(example["bundle"])) as s:
        proc = subprocess.run([exe, "run", f"{s.base}/openapi.json", "--checks",
                               "not_a_server_error,status_code_conformance,content_type_conformance",
                               "--max-examples", "30", "--no-color"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
