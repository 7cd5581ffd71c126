"""LightGBM trees compiled to machine code with lleaves (LLVM), for the batch scorer.

The booster's own `predict` walks its trees through a generic interpreter and, per row, builds a
sparse copy of the input; on the example model that is ~4 CPU-seconds per million rows, most of a
batch job. lleaves turns each tree into straight-line native code (`if x[3] <= 1.5 goto ...`),
which predicts the same model ~8x faster with float64 thresholds, so results agree with the
booster to the last bit or two (the serving model still proves them on the golden examples and
falls back to the booster when they do not reproduce).

Compiling costs seconds (~5-10 s for 200 trees), so the object code is cached on disk, keyed by
the model text and the compiler versions; concurrent processes compile it once (a file lock).
The extra is optional: `pip install 'mlbp[trees]'`.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import platform
import time
from pathlib import Path
from typing import Any

from mlbp.engine.errors import MlbpError, Reason

EXTRA = "pip install 'mlbp[trees]'"
log = logging.getLogger("mlbp.deploy")


def available() -> bool:
    """True when lleaves (and an llvmlite it works with) can be imported."""
    try:
        import lleaves  # noqa: F401
        import llvmlite.binding as llvm
    except ImportError:
        return False
    # lleaves 1.x drives LLVM's legacy pass manager, which llvmlite 0.45 removed
    return hasattr(llvm, "PassManagerBuilder")


def cache_dir() -> Path:
    """Where compiled forests live: $MLBP_TREES_CACHE, else the user's cache folder."""
    if os.environ.get("MLBP_TREES_CACHE"):
        return Path(os.environ["MLBP_TREES_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlbp" / "trees"


def _key(model_text: str) -> str:
    from importlib.metadata import version

    h = hashlib.sha256(model_text.encode())
    # object code is specific to the compiler and to this CPU's features
    h.update(f"{version('lleaves')}|{version('llvmlite')}|{platform.machine()}|{_cpu_id()}".encode())
    return h.hexdigest()[:32]


def _cpu_id() -> str:
    try:
        import llvmlite.binding as llvm

        return f"{llvm.get_host_cpu_name()}|{llvm.get_host_cpu_features().flatten()}"
    except Exception:  # noqa: BLE001 - only part of a cache key
        return ""


def lleaves_predictor(booster: Any, num_iteration: int | None, threads: int, compile_now: bool = True) -> Any:
    """A predict function (float64 matrix -> the booster's `predict` output) from compiled trees.
    With compile_now=False: only a forest already in the cache, else None (loading it is cheap)."""
    if not available():
        if not compile_now:
            return None
        raise MlbpError("compiled trees need lleaves with llvmlite < 0.45", reason=Reason.CONFIG,
                        key="deploy.batch.trees", expected="booster | auto, or the trees extra installed",
                        got="compiled", fix=EXTRA)
    import lleaves

    text = booster.model_to_string(num_iteration=num_iteration)
    folder = cache_dir()
    key = _key(text)
    model_file, obj = folder / f"{key}.txt", folder / f"{key}.o"
    if not compile_now and not obj.is_file():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process compiles; the others wait and load its object file
        try:
            if not model_file.is_file():
                tmp = model_file.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(text)
                tmp.replace(model_file)
            model = lleaves.Model(model_file=str(model_file))
            if obj.is_file():
                model.compile(cache=str(obj))
            else:
                log.info("compiling %d LightGBM trees to machine code (once per model; cached in %s)",
                         model.num_trees(), folder)
                t0 = time.perf_counter()
                tmp_obj = obj.with_suffix(f".{os.getpid()}.tmp")
                model.compile(cache=str(tmp_obj))  # lleaves writes the object file after compiling
                tmp_obj.replace(obj)
                log.info("compiled in %.1fs", time.perf_counter() - t0)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

    def predict(x: Any) -> Any:
        return model.predict(x, n_jobs=threads)

    return predict
