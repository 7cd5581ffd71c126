"""`mlbp` and `mlbp graph`: compose the run graph, then run or print it."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from mlbp.compose.build import build_graph
from mlbp.compose.progress import RichObserver
from mlbp.compose.redaction import values_of
from mlbp.compose.say import say
from mlbp.engine.errors import MlbpError
from mlbp.engine.runner import Runner
from mlbp.engine.secrets import redact
from mlbp.engine.store import ArtifactStore, write_json_atomic

log = logging.getLogger("mlbp")


def _run_dir() -> Path:
    return Path(HydraConfig.get().runtime.output_dir)


def run(cfg: DictConfig, args: list[str]) -> int:
    """Run the composed pipeline; a multirun job also leaves `result.json` for the sweep callback."""
    from rich.console import Console

    console = Console(stderr=True)
    started = time.time()
    run_dir = _run_dir()
    multirun = HydraConfig.get().mode == RunMode.MULTIRUN
    if multirun:
        _share_cores(OmegaConf.select(HydraConfig.get(), "launcher.n_jobs", default=None))
    only = OmegaConf.select(cfg, "only")
    result: dict = {"run_dir": str(run_dir), "overrides": list(HydraConfig.get().overrides.task)}
    secrets = values_of(cfg)  # an override may carry one: result.json never does
    runner = None
    try:
        graph = build_graph(cfg)
        say("[bold]mlbp[/] {}: {} stages → {}", cfg.project, len(graph.order), run_dir, out=console)
        runner = Runner(
            graph,
            ArtifactStore(cfg.paths.store),
            run_dir,
            observer=RichObserver(console),
            config=OmegaConf.to_container(cfg, resolve=True),
        )
        manifest = runner.run(only=list(only) if only else None)
        result |= {"status": "done", "run_id": manifest.run_id, "artifacts": manifest.artifacts()}
        result |= _objective(cfg, manifest.artifacts())
    except MlbpError as exc:
        result |= {"status": "failed", "error": exc.to_dict()}
        report = _failure_report(cfg, run_dir, runner, exc)
        if report is not None:
            say("[bold red]report[/]: {}", report, out=console)
        if multirun:
            say("[red]job failed[/]: {}", exc, out=console)
            write_json_atomic(run_dir / "result.json", redact(result, secrets, by_name=False))
            return 1
        raise
    finally:
        result["seconds"] = round(time.time() - started, 3)
    write_json_atomic(run_dir / "result.json", redact(result, secrets, by_name=False))
    report = run_dir / "report.html"
    say("manifest: {}", run_dir / "run.json", out=console)
    if report.exists():
        say("[bold green]report[/]: {}", report, out=console)
    say("done in {:.1f}s", result["seconds"], out=console)
    return 0


def _failure_report(cfg: DictConfig, run_dir: Path, runner: Runner | None, exc: MlbpError) -> Path | None:
    """report.html for a failed run (the report stage never runs then); None if even that fails."""
    from mlbp.report.failure_report import write_failure_report

    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        manifest = runner.manifest.to_dict() if runner is not None else {}
        store = Path(str(OmegaConf.select(cfg, "paths.store", default=".mlbp/store")))
        return write_failure_report(run_dir, manifest, store, exc.to_dict(),
                                    title=str(OmegaConf.select(cfg, "project", default="mlbp run")))
    except Exception:  # noqa: BLE001 - the report must never hide the error it reports
        log.debug("could not write the failure report", exc_info=True)
        return None


def _objective(cfg: DictConfig, artifacts: dict[str, str]) -> dict:
    """The scorecard number a sweeper optimizes (`evaluation.objective`: total | primary), if scored."""
    card_hash = artifacts.get("scorecard")
    if not card_hash:
        return {}
    path = Path(cfg.paths.store) / "objects" / card_hash / "scorecard.json"
    if not path.exists():
        return {}
    card = json.loads(path.read_text())
    name = str(OmegaConf.select(cfg, "evaluation.objective", default="total") or "total")
    value = card.get(name)
    if name == "primary" and value is not None and not card.get("higher_is_better", True):
        value = -value  # sweepers maximize; a lower-is-better metric is negated
    return {"objective": value, "objective_name": name, "blessed": card.get("blessed"), "stack": card.get("stack")}


def _share_cores(n_jobs: object) -> None:
    """Jobs of a parallel sweep split the cores: each job's native thread pools (OpenMP, BLAS) get
    cores // n_jobs, inherited by the subprocesses its smoke stages start, so side-by-side jobs do
    not oversubscribe the machine. A value the user exported wins."""
    import os

    if not isinstance(n_jobs, int) or n_jobs <= 1:
        return
    threads = str(max(1, (os.cpu_count() or 1) // n_jobs))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, threads)


def graph(cfg: DictConfig, args: list[str]) -> int:
    """Print the composed, validated graph as text or Mermaid (graph.format=mermaid)."""
    g = build_graph(cfg)
    fmt = OmegaConf.select(cfg, "graph.format", default="text")
    if fmt == "mermaid":
        print(g.mermaid())
    elif fmt == "json":
        print(json.dumps({n: {"needs": g.nodes[n].needs, "makes": g.nodes[n].makes} for n in g.order}, indent=2))
    elif fmt == "text":
        print(g.text())
    else:
        raise MlbpError("unknown graph format", key="graph.format", expected="text | mermaid | json", got=fmt)
    return 0
