"""Runs a validated graph: fingerprint, cache lookup, run, store atomically, record the manifest."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Protocol

from mlbp.engine import targets
from mlbp.engine.errors import MlbpError, StageFailed
from mlbp.engine.fingerprint import fingerprint
from mlbp.engine.graph import Graph, Node
from mlbp.engine.manifest import RunManifest, StageRecord
from mlbp.engine.stage import StageContext
from mlbp.engine.store import ArtifactStore

log = logging.getLogger("mlbp.engine")


class RunObserver(Protocol):
    """Receives progress events; the CLI shows them with rich, tests may collect them."""

    def stage_started(self, name: str, index: int, total: int) -> None: ...

    def stage_finished(self, record: StageRecord) -> None: ...


class _Quiet:
    def stage_started(self, name: str, index: int, total: int) -> None:
        pass

    def stage_finished(self, record: StageRecord) -> None:
        pass


def target_name(node: Node) -> str:
    cls = type(node.stage)
    return f"{cls.__module__}.{cls.__qualname__}"


class Runner:
    """Executes a graph against a store and writes `run.json` into the run folder."""

    def __init__(
        self,
        graph: Graph,
        store: ArtifactStore,
        run_dir: str | Path,
        observer: RunObserver | None = None,
        config: dict | None = None,
    ) -> None:
        self.graph = graph
        self.store = store
        self.run_dir = Path(run_dir)
        self.observer = observer or _Quiet()
        self.manifest = RunManifest(store=str(store.root), config=config or {})
        self._checked = False  # deferred `_target_`s resolved (see _preflight)

    @property
    def manifest_path(self) -> Path:
        return self.run_dir / "run.json"

    def run(self, only: list[str] | None = None) -> RunManifest:
        """Run every stage (or the named ones and what they need). Raises StageFailed."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        order = self.graph.upstream(only) if only else self.graph.order
        for name in order:
            node = self.graph.nodes[name]
            self.manifest.stages[name] = StageRecord(name=name, target=target_name(node), config=node.config,
                                                    check=getattr(node.stage, "check", None))
        hashes: dict[str, str] = {}  # artifact name -> object hash
        pending = list(order)
        try:
            for i in range(1, len(order) + 1):
                name = self._next(pending, hashes)
                pending.remove(name)
                self.observer.stage_started(name, i, len(order))
                rec = self._run_node(self.graph.nodes[name], hashes)
                self.observer.stage_finished(rec)
        except StageFailed:
            self.manifest.status = "failed"
            raise
        finally:
            self.manifest.ended = time.time()
            if self.manifest.status != "failed":
                self.manifest.status = "done"
            self.manifest.write(self.manifest_path)
        return self.manifest

    def _next(self, pending: list[str], hashes: dict[str, str]) -> str:
        """The next stage to run: the first pending one (run order is topological, so it is
        ready) unless another process holds its lock — a sibling sweep job computing the same
        stage — in which case a later ready, cacheable stage whose lock is free goes first, so
        this job works instead of waiting. With nothing else ready it waits for the first."""
        first = self.graph.nodes[pending[0]]
        if not first.stage.cacheable or not self._busy(first, hashes):
            return pending[0]
        for name in pending[1:]:
            node = self.graph.nodes[name]
            if not node.stage.cacheable:
                break  # stages with effects outside the store keep their place in the order
            ready = all(a in hashes for a in node.needs.values())
            if ready and not self._busy(node, hashes):
                return name
        return pending[0]

    def _busy(self, node: Node, hashes: dict[str, str]) -> bool:
        try:
            fp = fingerprint(target_name(node), node.config, {a: hashes[a] for a in node.needs.values()},
                             node.stage.external_state())
        except Exception:  # noqa: BLE001 - the stage itself will report this when it runs
            return False
        return self.store.is_locked(fp)

    def _run_node(self, node: Node, hashes: dict[str, str]) -> StageRecord:
        rec = self.manifest.stages[node.name]
        rec.inputs = {a: hashes[a] for a in node.needs.values()}
        rec.started = time.time()
        rec.status = "running"
        try:
            rec.fingerprint = fingerprint(rec.target, node.config, rec.inputs, node.stage.external_state())
            if node.stage.cacheable:
                with self.store.lock(rec.fingerprint):
                    cached = self.store.lookup(rec.fingerprint)
                    if cached is None:
                        self._execute(node, rec)
                    else:
                        rec.cache_hit = True
                        rec.outputs = {node.makes[s]: d for s, d in cached["outputs"].items()}
                        rec.facts = cached.get("facts", {})
            else:
                self._execute(node, rec)
        except MlbpError as exc:
            self._fail(rec, exc)
        except Exception as exc:  # noqa: BLE001 - any stage failure is reported, not raised raw
            log.debug("stage %s raised", node.name, exc_info=True)
            self._fail(rec, exc)
        rec.ended = time.time()
        rec.seconds = round(rec.ended - rec.started, 4)
        rec.status = "cached" if rec.cache_hit else "done"
        hashes.update(rec.outputs)
        log.info("stage %s: %s in %.3fs, outputs %s", node.name, rec.status, rec.seconds,
                 {a: h[:12] for a, h in rec.outputs.items()})
        return rec

    def _preflight(self) -> None:
        """Once, before the first stage executes: resolve every `_target_` a stage would build
        itself later (mlbp.engine.targets), so a refused one stops the run before anything ran.
        A fully cached run never gets here and never imports those libraries."""
        if self._checked:
            return
        for node in self.graph.nodes.values():
            for key, target in node.deferred_targets:
                targets.resolve(target, key)
        self._checked = True

    def _execute(self, node: Node, rec: StageRecord) -> None:
        self._preflight()
        temps = {slot: self.store.new_temp() for slot in node.makes}
        ctx = StageContext(
            stage=node.name,
            inputs={slot: self.store.object_path(rec.inputs[a]) for slot, a in node.needs.items()},
            outputs=temps,
            run_dir=self.run_dir,
            log=logging.getLogger(f"mlbp.stage.{node.name}"),
            manifest=self.manifest.to_dict(),
        )
        try:
            node.stage.run(ctx)
        except BaseException:
            for t in temps.values():
                shutil.rmtree(t, ignore_errors=True)
            raise
        outputs = {slot: self.store.put_dir(t) for slot, t in temps.items()}
        rec.outputs = {node.makes[s]: d for s, d in outputs.items()}
        rec.facts = ctx.facts
        if node.stage.cacheable:
            self.store.record(
                rec.fingerprint,
                {"stage": node.name, "target": rec.target, "outputs": outputs, "facts": ctx.facts,
                 "created": time.time()},
            )

    def _fail(self, rec: StageRecord, exc: BaseException) -> None:
        rec.status = "failed"
        rec.ended = time.time()
        err = exc if isinstance(exc, StageFailed) else StageFailed(rec.name, exc)
        if isinstance(exc, MlbpError) and not isinstance(exc, StageFailed):
            err.key = exc.key or err.key
        rec.error = err.to_dict() | {"type": type(exc).__name__}
        log.info("stage %s failed: %s", rec.name, err, exc_info=exc)  # traceback to the log file only
        self.observer.stage_finished(rec)
        raise err from exc
