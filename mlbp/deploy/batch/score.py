"""Batch scoring: stream a dataset through a bundle in chunks; rows that break the signature go
to quarantine with their reason; rows scored + rows quarantined = rows in.

Output (a folder): `scores/part-*.parquet` (row key, outputs, model, model_version, scored_at),
`quarantine/part-*.parquet` (the input row + `reason`), `unparsed.parquet` (lines of a text input
that could not be split into columns: line number, text, reason), `batch.json` (counts). Parts are named by
chunk (and batch within a Parquet chunk, `part-NNNNNN-KKKK`) in input order, so the local engine
(threads or processes) and the Dask engine write the same files with the same rows; see
batch_plan for who reads what.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import Stage, StageContext
from mlbp.governance.policy import govern_arrow
from mlbp.io import write_json

ROW_KEY = "row"  # the row key when the data has no id column: the row's position in the input
# trees=auto compiles from here; below it, compiled trees are used only when already cached. A cold
# compile (~5-10 s) costs what the booster spends on 3-5M rows on 2 cores.
TREES_MIN_ROWS = 5_000_000
_MODELS: dict[tuple[str, str, str], Any] = {}


def _model(bundle: str, unknown_category: str, trees: str = "booster") -> Any:
    """One loaded model per worker process (a worker scores many chunks)."""
    key = (bundle, unknown_category, trees)
    if key not in _MODELS:
        from mlbp.deploy.runtime.serving import load_serving

        _MODELS[key] = load_serving(bundle, unknown_category=unknown_category, threads=1, trees=trees)
    return _MODELS[key]


def _resolve_trees(trees: str, dataset: Any) -> str:
    """auto -> compiled for inputs big enough to repay a compile, else `cached` (compiled trees if
    a previous run compiled this model, the booster otherwise)."""
    if trees in ("booster", "compiled"):
        return trees
    if trees != "auto":
        raise MlbpError("unknown trees option", key="deploy.batch.trees", expected="auto | compiled | booster",
                        got=trees)
    from mlbp.deploy.runtime.compiled_trees import available

    if not available():
        return "booster"
    return "compiled" if _rows_estimate(dataset) >= TREES_MIN_ROWS else "cached"


def _rows_estimate(dataset: Any) -> int:
    """Parquet knows its row count from the footers; for text, ~64 bytes a row is near enough."""
    import os

    import pyarrow.dataset as ds

    if isinstance(dataset.format, ds.ParquetFileFormat):
        return int(dataset.count_rows())
    return sum(os.path.getsize(f) for f in dataset.files) // 64


def score_chunk(bundle: str, chunk: Any, index: int, offset: int, out: str, id_column: str | None,
                scored_at: Any, unknown_category: str = "reject", version: Any = None, trees: str = "booster",
                input_types: dict[str, Any] | None = None, chunk_rows: int = 200_000,
                governed: dict[str, str] | None = None, mask_key: bytes | None = None) -> dict[str, int]:
    """Score one chunk (a batch_plan.Piece the worker reads itself, or a record batch); write its
    scores and quarantine parts, governed (`governed`: column -> mask | deny). Runs in a worker."""
    import pyarrow as pa

    from mlbp.deploy.batch.plan import Piece

    model = _model(bundle, unknown_category, trees)
    kw = {"out": out, "id_column": id_column, "scored_at": scored_at, "version": version,
          "input_types": input_types or {}, "governed": governed or {}, "mask_key": mask_key}
    if not isinstance(chunk, Piece):
        if not isinstance(chunk, pa.RecordBatch | pa.Table):
            chunk = pa.Table.from_pandas(chunk, preserve_index=False)
        return _score_batch(model, chunk, f"{index:06d}", offset, **kw)
    totals = {"rows_in": 0, "rows_scored": 0, "rows_quarantined": 0, "parts": 0}
    for k, batch in enumerate(chunk.batches(chunk_rows)):
        done = _score_batch(model, batch, f"{index:06d}-{k:04d}", offset + totals["rows_in"], **kw)
        totals = {key: totals[key] + done[key] for key in totals}
    return totals


def _score_batch(model: Any, batch: Any, part: str, offset: int, out: str, id_column: str | None, scored_at: Any,
                 version: Any, input_types: dict[str, Any], governed: dict[str, str] | None = None,
                 mask_key: bytes | None = None) -> dict[str, int]:
    """Check, encode, predict, write `part-<part>.parquet` in scores/ (and quarantine/). Stays in
    Arrow/numpy end to end: no pandas object columns on the way."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlbp.deploy.batch.checks import check_batch

    n = batch.num_rows
    checked = check_batch(batch, model.checker)
    ok = checked.valid
    mask = pa.array(ok)
    positions = np.arange(offset, offset + n, dtype=np.int64)
    governed = governed or {}
    key = id_column if id_column and id_column in batch.schema.names and governed.get(id_column) != "deny" \
        else ROW_KEY  # an id the team may not see is replaced by the row position
    key_col = batch.column(key).filter(mask) if key != ROW_KEY else pa.array(positions[ok])
    if governed.get(key) == "mask":
        key_col = govern_arrow(pa.table({key: key_col}), governed, mask_key).column(0)
    cols: dict[str, Any] = {key: key_col}
    outputs = model.predict_checked(checked, ok) if ok.any() else {o: np.array([], dtype=float) for o in model.outputs}
    for name, values in outputs.items():
        cols[name] = pa.array(values)
    m = int(ok.sum())
    cols["model"] = pa.repeat(pa.scalar(model.name, pa.string()), m)
    cols["model_version"] = pa.repeat(pa.scalar(str(version if version is not None else model.version)), m)
    cols["scored_at"] = (pa.nulls(m, pa.timestamp("us", tz="UTC")) if scored_at is None else  # a cached artifact
                         pa.repeat(pa.scalar(scored_at.to_pydatetime(), pa.timestamp("us", tz="UTC")), m))
    # dictionary pages and min/max statistics only where they pay: on the unique key and the
    # probabilities they cost ~40% of the write time and make the file larger
    low = ["prediction", "model", "model_version", "scored_at"]
    pq.write_table(pa.table(cols), Path(out) / "scores" / f"part-{part}.parquet", compression="zstd",
                   use_dictionary=low, write_statistics=low)
    bad = int(n - m)
    if bad:
        quarantined = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        quarantined = _decoded(quarantined.filter(pa.array(~ok)), input_types)
        if key == ROW_KEY:
            quarantined = quarantined.add_column(0, ROW_KEY, pa.array(positions[~ok]))
        quarantined = quarantined.append_column("reason", pa.array(checked.reasons[~ok].tolist(), pa.string()))
        quarantined = govern_arrow(quarantined, governed, mask_key)  # kept, as the team may see it
        pq.write_table(quarantined, Path(out) / "quarantine" / f"part-{part}.parquet", compression="zstd")
    return {"rows_in": n, "rows_scored": m, "rows_quarantined": bad, "parts": 1}


def _file_types(dataset: Any, columns: list[str]) -> dict[str, Any]:
    """The types the input file declares for the columns read as dictionaries (from one footer),
    so the quarantine can give them back."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = dataset.schema
    read_as_dict = [c for c in columns if c in schema.names and pa.types.is_dictionary(schema.field(c).type)]
    if not read_as_dict or not dataset.files:
        return {}
    declared = pq.read_schema(dataset.files[0], filesystem=dataset.filesystem)
    return {c: declared.field(c).type for c in read_as_dict if c in declared.names}


def _decoded(table: Any, types: dict[str, Any]) -> Any:
    """Categorical columns read as dictionaries go back to the type the input has (`types`, from
    its schema; Arrow reads a large_string column's dictionary as string): the quarantine keeps
    the input's schema."""
    import pyarrow as pa

    for i, f in enumerate(table.schema):
        if pa.types.is_dictionary(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(types.get(f.name, f.type.value_type)))
    return table


def score_dataset(bundle: str | Path, source: str | Path, out: str | Path, *, engine: str = "local", n_jobs: int = 2,
                  chunk_rows: int = 200_000, id_column: str | None = None, scheduler: str | None = None,
                  client: Any = None, lake: str | Path | None = None, unknown_category: str = "reject",
                  scored_at: Any = None, version: Any = None, backend: str = "auto", trees: str = "auto",
                  policy: Any = None, team: str = "", deterministic: bool = False) -> dict[str, Any]:
    """Score `source` into folder `out`; returns the counts (and fails if they do not reconcile).
    `policy` (mlbp.governance.policy.Policy) and `team`: the row key and the quarantined rows are
    written as that team may see them (denied columns dropped, masked ones hashed).
    `deterministic` (the pipeline's cached batch stage): no clock in what is written, so the same
    inputs give the same artifact hash: `scored_at` is null and batch.json holds no timings (they
    are still returned).
    `trees`: how a LightGBM model predicts: compiled (machine code, see compiled_trees), booster,
    or auto (compiled for inputs of TREES_MIN_ROWS rows or more, when lleaves is installed)."""
    import pandas as pd

    from mlbp.deploy.batch.plan import plan
    from mlbp.deploy.batch.source import open_dataset
    from mlbp.registry.bundle import verify

    manifest = verify(bundle)  # fail fast in the driver, before any worker unpickles it
    # categorical columns stay dictionary-encoded, as Parquet stores them (see batch_checks)
    categorical = manifest["signature"]["categorical"]
    dataset = open_dataset(source, lake, dictionary_columns=categorical)
    input_types = _file_types(dataset, categorical)
    out = Path(out)
    for sub in ("scores", "quarantine"):
        (out / sub).mkdir(parents=True, exist_ok=True)
        for old in (out / sub).glob("part-*.parquet"):
            old.unlink()
    if deterministic:
        scored_at = None
    elif scored_at is None:
        scored_at = pd.Timestamp.now(tz="UTC")
    elif isinstance(scored_at, int | float):
        scored_at = pd.Timestamp(scored_at, unit="s", tz="UTC")
    else:
        scored_at = pd.Timestamp(scored_at)
    if scored_at is not None:
        scored_at = scored_at.floor("us")  # Parquet timestamps here are microseconds
    args = (str(bundle),)
    trees = _resolve_trees(trees, dataset)
    # more workers than chunks only start processes that get nothing to do
    n_jobs = max(1, min(n_jobs, -(-_rows_estimate(dataset) // chunk_rows)))
    governed = ({c: r for c, r in policy.decisions(team, dataset.schema.names).items() if r != "allow"}
                if policy is not None and policy.enabled else {})
    mask_key = policy.secret() if "mask" in governed.values() else None
    kw = {"out": str(out), "id_column": id_column, "scored_at": scored_at, "unknown_category": unknown_category,
          "version": version, "trees": trees, "input_types": input_types, "chunk_rows": chunk_rows,
          "governed": governed, "mask_key": mask_key}
    load_s, model = 0.0, None
    if engine == "local" and (backend in ("threading", "auto") or n_jobs == 1):
        t_load = time.perf_counter()
        model = _model(str(bundle), unknown_category, trees)  # this process scores: load (and prove) it up front
        load_s = time.perf_counter() - t_load
        if backend == "auto":
            # the fast path (Arrow + numpy + a raw booster) releases the GIL: threads share one model
            # and no chunk is pickled; the scikit-learn fallback holds the GIL, so it gets processes
            backend = "threading" if model.compiled is not None else "loky"
    if engine not in ("local", "dask"):
        raise MlbpError("unknown batch engine", key="deploy.batch.engine", expected="local | dask", got=engine)
    own = None
    if engine == "dask" and client is None:
        client = own = _dask_client(scheduler)
    try:
        if model is None:
            # worker processes: start them and load the model in each before the clock starts, as
            # the threading backend loads it in this process (load_seconds reports it either way)
            t_load = time.perf_counter()
            predictor = (_load_in_dask_workers(client, str(bundle), unknown_category, trees) if engine == "dask"
                         else _load_in_loky_workers(str(bundle), unknown_category, trees, n_jobs))
            load_s = time.perf_counter() - t_load
        else:
            predictor = model.fast_path
        t0 = time.perf_counter()
        if engine == "local":
            results = _run_local(args, kw, plan(dataset, chunk_rows), n_jobs, backend)
        else:
            results = _run_dask(args, kw, plan(dataset, chunk_rows), client)
        secs = time.perf_counter() - t0
    finally:
        if own is not None:
            _close_dask(own, scheduler)
    totals = {k: sum(r[k] for r in results) for k in ("rows_in", "rows_scored", "rows_quarantined")}
    unparsed = _write_unparsed(dataset, out, governed, policy)
    totals["rows_in"] += unparsed
    totals["rows_quarantined"] += unparsed
    summary = {**totals, "chunks": sum(r["parts"] for r in results), "engine": engine, "seconds": round(secs, 3),
               "backend": backend if engine == "local" else None, "trees": trees,
               "n_jobs": n_jobs if engine == "local" else None, "chunk_rows": chunk_rows,
               "id_column": id_column, "unknown_category": unknown_category, "scheduler": scheduler,
               "predictor": predictor,
               "load_seconds": round(load_s, 3),  # bundle verified, loaded and golden-checked before scoring
               "rows_per_second": round(totals["rows_in"] / secs) if secs else None,
               "reconciled": totals["rows_in"] == totals["rows_scored"] + totals["rows_quarantined"],
               "scored_at": None if scored_at is None else scored_at.isoformat(), "source": str(source),
               "bundle": str(bundle),
               "team": team or None, "governed_columns": governed, "rows_unparsed": unparsed}
    if trees == "cached" and predictor == "lightgbm-booster":
        summary["hint"] = ("deploy.batch.trees=compiled compiles this model's trees once (seconds, then cached); "
                           "later runs of any size use them")
    written = dict(summary)
    if deterministic:  # no clock and no store location: artifacts are named by content
        for k in ("seconds", "rows_per_second", "load_seconds"):
            written.pop(k)
        written["bundle"] = Path(bundle).name
        written["source"] = f"{Path(source).parent.name}/{Path(source).name}"
    write_json(written, out, "batch.json")
    if not summary["reconciled"]:
        raise MlbpError("batch counts do not reconcile", reason=Reason.STAGE_FAILED, key="deploy.batch",
                        expected=f"{totals['rows_in']} = scored + quarantined",
                        got=f"{totals['rows_scored']} + {totals['rows_quarantined']}")
    return summary


def _write_unparsed(dataset: Any, out: Path, governed: dict[str, str], policy: Any) -> int:
    """Lines of a text input that could not be split into columns -> `unparsed.parquet` (line,
    text, reason), counted as quarantined. A team that may not see some column gets each line's
    text as a keyed hash: which field of a broken line holds what cannot be known."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlbp.governance.policy import mask_value

    rejected = getattr(dataset, "rejected", None) or []
    target = out / "unparsed.parquet"
    target.unlink(missing_ok=True)
    if not rejected:
        return 0
    texts = [r.text for r in rejected]
    if governed:
        key = policy.secret()
        texts = [mask_value(t, key) for t in texts]
    table = pa.table({"line": pa.array([r.line for r in rejected], pa.int64()),
                      "text": pa.array(texts, pa.string()),
                      "reason": pa.array([f"unparseable: {r.reason}" for r in rejected], pa.string())})
    pq.write_table(table, target, compression="zstd")
    return len(rejected)


def _run_local(args: tuple, kw: dict, batches: Any, n_jobs: int, backend: str) -> list[dict[str, int]]:
    """joblib over chunks: `loky` = worker processes (each loads the bundle once); `threading` =
    threads of this process sharing one loaded model (Arrow and the boosters release the GIL, and
    no chunk is pickled to a worker)."""
    if n_jobs == 1:
        return [score_chunk(*args, batch, i, off, **kw) for i, off, batch in batches]
    if backend not in ("loky", "threading"):
        raise MlbpError("unknown joblib backend", key="deploy.batch.backend", expected="auto | loky | threading",
                        got=backend)
    from joblib import Parallel, delayed

    # pre_dispatch bounds how many chunks are in memory at once
    par = Parallel(n_jobs=n_jobs, backend=backend, pre_dispatch="n_jobs", return_as="generator")
    return list(par(delayed(score_chunk)(*args, batch, i, off, **kw) for i, off, batch in batches))


def _loaded_in_worker(bundle: str, unknown_category: str, trees: str) -> tuple[int, str]:
    import os

    return os.getpid(), _model(bundle, unknown_category, trees).fast_path


def _load_in_loky_workers(bundle: str, unknown_category: str, trees: str, n_jobs: int) -> str:
    """Start joblib's reusable loky workers and load the model in each; the scoring call that
    follows gets the same workers. A worker busy loading does not take a second warm-up task, so
    n_jobs tasks nearly always reach n_jobs workers; a few more rounds make sure."""
    from joblib import Parallel, delayed

    seen: dict[int, str] = {}
    for _ in range(4):
        par = Parallel(n_jobs=n_jobs, backend="loky")
        seen.update(par(delayed(_loaded_in_worker)(bundle, unknown_category, trees) for _ in range(n_jobs)))
        if len(seen) >= n_jobs:
            break
    return next(iter(seen.values()))


def _load_in_dask_workers(client: Any, bundle: str, unknown_category: str, trees: str) -> str:
    loaded = client.run(_loaded_in_worker, bundle, unknown_category, trees)  # on every worker
    return next(iter(loaded.values()))[1]


def _dask_client(scheduler: str | None) -> Any:
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler)
    return Client(LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None))


def _close_dask(client: Any, scheduler: str | None) -> None:
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None and not scheduler:
        cluster.close()


def _run_dask(args: tuple, kw: dict, batches: Any, client: Any) -> list[dict[str, int]]:
    from distributed import wait

    limit = 2 * max(1, len(client.scheduler_info().get("workers", {})) or 2)
    pending, results = [], []
    for i, off, batch in batches:
        pending.append(client.submit(score_chunk, *args, batch, i, off, pure=False, **kw))
        if len(pending) >= limit:  # bounded: at most `limit` chunks in flight
            done, not_done = wait(pending, return_when="FIRST_COMPLETED")
            results += [f.result() for f in done]
            pending = list(not_done)
    results += [f.result() for f in pending]
    return results


class BatchScore(Stage):
    """Scores `data` (default: the holdout) with `bundle`; makes `scores` (see module docstring)."""

    needs: ClassVar[tuple[str, ...]] = ("bundle", "data")
    makes: ClassVar[tuple[str, ...]] = ("scores",)

    def __init__(self, options: Any = None) -> None:
        from mlbp.deploy.batch.options import batch_options

        self.options = batch_options(options)  # deploy.batch, whole: a misspelt key fails the run here

    def describe(self) -> dict[str, Any]:
        return self.options.model_dump()

    def run(self, ctx: StageContext) -> None:
        summary = score_dataset(ctx.input("bundle"), ctx.input("data") / "data.parquet", ctx.output("scores"),
                                **self.options.kwargs(), deterministic=True)
        ctx.note(rows=summary["rows_in"], scored=summary["rows_scored"], quarantined=summary["rows_quarantined"],
                 rows_per_s=summary["rows_per_second"])
