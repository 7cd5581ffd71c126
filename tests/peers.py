"""Peers in their own virtualenvs: the tools users already have (MLflow's client, ...) run as
themselves, never installed into mlbp's environment (they pin other versions of shared libraries).

A peer's virtualenv is made once per machine, keyed by its pinned requirements and this Python,
under $MLBP_PEERS_DIR (default ~/.cache/mlbp-peers); a file lock keeps concurrent test workers from
building it twice, and a half-built one (a killed install) is rebuilt. Tests and benchmarks run
scripts with `peer_python(name)`."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from filelock import FileLock

# name -> pinned requirements (ENVIRONMENT: mlflow 3.17.2 installs beside pandas 3)
PEERS: dict[str, list[str]] = {
    "mlflow": ["mlflow==3.17.2"],
    "tritonclient": ["tritonclient[http]==2.73.0"],
}
INSTALL_TIMEOUT_S = 900


def peers_dir() -> Path:
    return Path(os.environ.get("MLBP_PEERS_DIR") or Path.home() / ".cache" / "mlbp-peers")


def peer_python(name: str) -> Path:
    """The interpreter of the virtualenv that holds peer `name`, built on first use."""
    spec = PEERS[name]
    key = hashlib.sha256("\n".join([sys.version, *spec]).encode()).hexdigest()[:12]
    root = peers_dir()
    root.mkdir(parents=True, exist_ok=True)
    venv = root / f"{name}-{key}"
    python = venv / "bin" / "python"
    with FileLock(str(root / f"{name}-{key}.lock")):
        if not (venv / ".ready").exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            proc = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *spec],
                                  capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
            if proc.returncode != 0:
                raise RuntimeError(f"could not install the {name} peer ({' '.join(spec)}) into {venv}:\n"
                                   + proc.stderr[-3000:])
            (venv / ".ready").write_text("\n".join(spec) + "\n")
    return python


def run_peer(name: str, script: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `script` (Python source) with the peer's interpreter; its own environment only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run([str(peer_python(name)), "-c", script, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


# Python source for tritonclient scripts: the rows of a `tensor_spec` file as binary input tensors
# (tritonclient's default, binary_data=True); BYTES for categorical columns, FP64 (NaN missing) else.
TRITON_INPUTS = """
import json
import numpy as np
import tritonclient.http as http

def binary_inputs(spec):
    out = []
    for name, values in spec["columns"].items():
        if name in spec["categorical"]:
            arr, dtype = np.array([v.encode() for v in values], dtype=np.object_), "BYTES"
        else:
            arr, dtype = np.array([np.nan if v is None else v for v in values], dtype=np.float64), "FP64"
        t = http.InferInput(name, [len(values)], dtype)
        t.set_data_from_numpy(arr, binary_data=True)
        out.append(t)
    return out
"""


def tensor_spec(df, categorical: list[str], path: Path) -> Path:
    """Write a frame's rows as the JSON a TRITON_INPUTS script reads (None for missing values)."""
    import json

    import pandas as pd

    spec = {"categorical": list(categorical),
            "columns": {c: [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in df[c]]
                        for c in df.columns}}
    path.write_text(json.dumps(spec))
    return path
