"""Shared fixtures: the run's one packaged + registered example, and real uvicorn servers
on 127.0.0.1 (bound to a free port) started and stopped by the test."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from mlbp.deploy.rest.app import ServeOptions, Server
from mlbp.deploy.rest.launch import bind, uvicorn_server
from mlbp.deploy.rest.variants import Source, Variants


@pytest.fixture(scope="session")
def example(champion_project):
    """The shared project where the default pipeline ran: registry v1 (champion) + its bundle."""
    root = champion_project
    bundle = root / ".mlbp" / "registry" / "restaurant-offers" / "v1"
    manifest = json.loads((bundle / "manifest.json").read_text())
    return {"root": root, "bundle": bundle, "db": f"sqlite:///{root}/.mlbp/mlbp.db",
            "registry": root / ".mlbp" / "registry", "manifest": manifest,
            "features": manifest["signature"]["numeric"] + manifest["signature"]["categorical"]}


@pytest.fixture(scope="session")
def frame(example):
    """The session's validated data with a few broken rows mixed in."""
    import glob

    import pandas as pd

    files = glob.glob(str(example["root"] / ".mlbp" / "store" / "objects" / "*" / "data.parquet"))
    df = max((pd.read_parquet(f) for f in files), key=len)
    import pyarrow as pa

    from mlbp.deploy.batch.checks import check_batch
    from mlbp.deploy.runtime.signature import InputChecker

    df = df.reset_index(drop=True)
    valid = check_batch(pa.Table.from_pandas(df, preserve_index=False),
                        InputChecker(example["manifest"]["signature"])).valid
    df = df.loc[valid, [c for c in df.columns if c != "redeemed"]].drop_duplicates("offer_id").head(3000).copy()
    df["region"] = df["region"].astype(object)
    df.loc[df.index[3], "region"] = "atlantis"
    df.loc[df.index[5], "visits_90d"] = -4
    df.loc[df.index[7], "distance_km"] = None
    return df


@pytest.fixture(scope="session")
def golden(example):
    import pandas as pd

    return pd.read_parquet(example["bundle"] / "golden.parquet")


@pytest.fixture(scope="session")
def good_row(example, golden):
    import pandas as pd

    rec = golden.iloc[0][example["features"]].to_dict()
    return {k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in rec.items()}


class Running:
    def __init__(self, server: Server, base: str, thread: threading.Thread, uv) -> None:
        self.server, self.base, self.thread, self.uv = server, base, thread, uv

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=30, **kw)


@contextlib.contextmanager
def running(server: Server):
    """Serve `server` with uvicorn in a thread on a free 127.0.0.1 port; stop it on exit."""
    sock = bind("127.0.0.1", 0)
    uv = uvicorn_server(server, graceful_seconds=5)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "server did not start"
        assert thread.is_alive(), "server thread died"
        time.sleep(0.02)
    try:
        yield Running(server, f"http://127.0.0.1:{sock.getsockname()[1]}", thread, uv)
    finally:
        uv.should_exit = True
        thread.join(timeout=15)
        sock.close()


def bundle_server(bundle: Path, options: ServeOptions | None = None, **kw) -> Server:
    load = {k: kw.pop(k) for k in ("unknown_category", "extra_columns", "fast_path") if k in kw}
    return Server(Variants({"default": Source(path=str(bundle))}, load), options or ServeOptions(), **kw)


@pytest.fixture(scope="session")
def server(example):
    """A plain server on the example bundle, shared by the read-only tests."""
    with running(bundle_server(example["bundle"])) as r:
        yield r


class ListSink:
    """A real PredictionSink: keeps records in lists (and counts close calls)."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self.feedback: list[dict] = []
        self.closed = 0

    def write(self, records: list[dict]) -> None:
        self.records.extend(records)

    def write_feedback(self, records: list[dict]) -> None:
        self.feedback.extend(records)

    def close(self) -> None:
        self.closed += 1


def free_port() -> int:
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
