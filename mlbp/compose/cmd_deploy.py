"""`mlbp serve` and `mlbp score`: the REST and batch deployment targets, built from config.

    mlbp serve                                   serve the registry's champion on 127.0.0.1:8080
    mlbp serve deploy.rest.bundle=path/to/bundle serve a bundle folder
    mlbp serve deploy.rest.micro_batch=true      gather concurrent single-row requests
    mlbp score data.parquet                      score a file / Parquet folder / lake:<dataset>
    mlbp score data.csv deploy.batch.engine=dask deploy.batch.scheduler=tcp://host:8786
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from mlbp.compose.allowlist import allowed_prefixes, safe_instantiate
from mlbp.compose.say import say
from mlbp.engine.errors import MlbpError

log = logging.getLogger("mlbp")


def _section(cfg: DictConfig, key: str) -> dict[str, Any]:
    node = OmegaConf.select(cfg, key)
    if node is None:
        raise MlbpError(f"no '{key}' section in the config", key=key, fix="choose deploy=rest or deploy=batch")
    return OmegaConf.to_container(node, resolve=True)  # type: ignore[return-value]


def _registry(cfg: DictConfig) -> tuple[str, str]:
    """Where the registry lives, from the one `registry:` section (the server reopens it by these
    to follow alias moves)."""
    from mlbp.compose.cmd_registry import registry_from

    reg = registry_from(cfg)
    return reg.url, str(reg.root)


def _sources(cfg: DictConfig, rest: Any) -> tuple[dict[str, Any], dict[str, float], list[str]]:
    """Variant name -> Source, the router weights, the shadow variants (`rest`: a RestSection)."""
    from mlbp.deploy.rest.options import VariantSpec
    from mlbp.deploy.rest.variants import Source

    db, root = _registry(cfg)
    if rest.bundle:
        return {"default": Source(path=str(rest.bundle))}, {"default": 1.0}, []
    spec = rest.variants or {str(rest.alias): VariantSpec(alias=str(rest.alias))}
    sources, weights, shadow = {}, {}, []
    for name, v in spec.items():
        v = v or VariantSpec()
        if v.bundle:
            sources[name] = Source(path=str(v.bundle))
        elif v.alias or v.version is not None:
            sources[name] = Source(db=db, root=root, model=rest.model, ref=str(v.alias or v.version))
        else:
            raise MlbpError("a variant needs an alias, a version or a bundle", key=f"deploy.rest.variants.{name}",
                            expected="{alias: champion} | {version: 3} | {bundle: path}", got=v.model_dump())
        if v.shadow:
            shadow.append(name)
        else:
            weights[name] = v.weight
    return sources, weights, shadow


def build_server(cfg: DictConfig) -> tuple[Any, Any]:
    """The Server `mlbp serve` runs (also used by tests), from deploy.rest whole: variants,
    router, sink, options. Returns it with the RestSection (host, port, grace)."""
    from mlbp.deploy.rest.app import Server
    from mlbp.deploy.rest.options import rest_section
    from mlbp.deploy.rest.routing import SplitRouter
    from mlbp.deploy.rest.variants import Variants

    rest = rest_section(_section(cfg, "deploy.rest"))
    sources, weights, shadow = _sources(cfg, rest)
    variants = Variants(sources, rest.load_options())
    allowed = allowed_prefixes(cfg)
    sink = router = None
    sink_node = OmegaConf.select(cfg, "monitor.prediction_log")
    if sink_node is not None and "_target_" in sink_node:
        sink = safe_instantiate(sink_node, "monitor.prediction_log", allowed)
    traffic_node = OmegaConf.select(cfg, "monitor.traffic")
    if traffic_node is not None and "_target_" in traffic_node:
        router = safe_instantiate(traffic_node, "monitor.traffic", allowed)
    if router is None:
        router = SplitRouter(weights or {next(iter(sources)): 1.0}, shadow=shadow)
    options = rest.server_options(api_keys=list(rest.api_keys), poll_seconds=rest.poll_seconds)
    return Server(variants, options, sink=sink, router=router), rest


def serve(cfg: DictConfig, args: list[str]) -> int:
    from rich.console import Console

    from mlbp.deploy.rest.launch import serve as run_server

    server, rest = build_server(cfg)
    console = Console(stderr=True)
    for name, v in server.variants.items.items():
        say("[bold]{}[/]: {} v{} from {} (predicts with {})", name, v.model.name, v.model.version,
            v.source.describe(), v.model.fast_path, out=console)
    say("serving on http://{}:{}  (docs: /docs, metrics: /metrics)", rest.host, rest.port, out=console)
    run_server(server, rest.host, rest.port, rest.graceful_seconds)
    return 0


def _say_progress(logger: str) -> None:
    """INFO lines of `logger` to stderr (Hydra leaves the commands' logging unconfigured)."""
    import logging

    log = logging.getLogger(logger)
    if not any(getattr(h, "_mlbp", False) for h in log.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._mlbp = True  # type: ignore[attr-defined]
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def score(cfg: DictConfig, args: list[str]) -> int:

    from mlbp.compose.cmd_data import team_policy
    from mlbp.compose.cmd_registry import registry_from
    from mlbp.deploy.batch.options import batch_options, score_target
    from mlbp.deploy.batch.score import score_dataset

    options = batch_options(_section(cfg, "deploy.batch"))
    target = score_target(_section(cfg, "deploy.score"))
    _say_progress("mlbp.deploy")  # e.g. a first compile of the trees takes seconds: say so
    version = None
    if target.bundle:
        bundle = target.bundle
    else:
        row = registry_from(cfg).checked(target.model, str(target.alias))
        bundle, version = row["path"], row["version"]
    summary = score_dataset(bundle, args[0], target.output, **options.kwargs(), lake=str(cfg.paths.lake),
                            version=version, policy=team_policy(cfg), team=str(cfg.team))
    say("scored {:,} rows, quarantined {:,} of {:,} in {}s ({:,} rows/s{}) -> {}", summary["rows_scored"],
        summary["rows_quarantined"], summary["rows_in"], summary["seconds"], summary["rows_per_second"],
        ", " + summary["predictor"] if summary.get("predictor") else "", target.output, err=True)
    if summary.get("rows_unparsed"):
        say("{:,} lines could not be split into columns: {}", summary["rows_unparsed"],
            Path(target.output) / "unparsed.parquet", err=True)
    if summary.get("hint"):
        say("tip: {}", summary["hint"], err=True)
    return 0
