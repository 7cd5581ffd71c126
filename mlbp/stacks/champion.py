"""The current champion, read from the registry and re-scored on *this* holdout, so a candidate
is compared with it on exactly the same rows (not on whatever holdout the champion once had)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from mlbp.data.labels import Labels
from mlbp.engine.errors import MlbpError
from mlbp.stacks.metrics import metrics_for
from mlbp.stacks.predict import predict_frame

log = logging.getLogger("mlbp.stacks.champion")


def sweep_started(run_dir: Path) -> float | None:
    """When the sweep this run belongs to started, or None for a single run: `sweep.json` (written by
    the Leaderboard callback before any job, for every sweeper), else Hydra's `multirun.yaml` (the
    basic sweeper writes it before launching)."""
    import json

    folder = Path(run_dir).parent
    try:
        return float(json.loads((folder / "sweep.json").read_text())["started"])
    except (OSError, ValueError, KeyError):
        marker = folder / "multirun.yaml"
        return marker.stat().st_mtime if marker.exists() else None


def current_champion(name: str, db: str, root: str) -> dict[str, Any] | None:
    """{version, bundle_sha} of the model's champion now (None without one): what evaluate declares."""
    from mlbp.registry.store import registry_of

    reg = registry_of({"db": db, "root": root})
    if "champion" not in reg.aliases(name):
        return None
    v = reg.resolve(name, "champion")
    return {"version": v["version"], "bundle_sha": v.get("bundle_sha")}


def champion_scores(name: str, db: str, root: str, holdout: pd.DataFrame, target: str, task: str,
                    created_before: float | None = None) -> dict[str, Any] | None:
    """The champion's metrics on `holdout` (or as recorded in its scorecard if it cannot be re-scored);
    None when the model has no champion yet.

    `created_before`: in a sweep, a champion registered after the sweep started was promoted by a
    sibling job (the register stage promotes only when there was no champion), so every candidate
    of the sweep is judged against the state at the start, not against whichever job finished first.
    """
    from mlbp.registry.bundle import load
    from mlbp.registry.pinning import check_pinned
    from mlbp.registry.store import registry_of

    reg = registry_of({"db": db, "root": root})
    if "champion" not in reg.aliases(name):
        return None
    version = reg.resolve(name, "champion")
    if created_before is not None and float(version.get("created") or 0) >= created_before:
        log.info("champion v%s was registered during this sweep; not a reference for it", version["version"])
        return None
    info = version.get("info") or {}
    out: dict[str, Any] = {"version": version["version"], "bundle_sha": version.get("bundle_sha"),
                           "stack": info.get("stack")}
    try:
        check_pinned(version)  # a champion folder changed since registration is not unpickled
        bundle = load(version["path"])
        sig = bundle.signature
        y = holdout[target].to_numpy(dtype=float) if task == "regression" else \
            Labels.from_info(sig).encode(holdout[target], f"holdout {target}")
        pred = predict_frame(bundle.model, sig, holdout)
        if task == "regression":
            scores = pred["prediction"].to_numpy(dtype=float)
        elif task == "binary":
            scores = pred["probability"].to_numpy(dtype=float)
        else:
            scores = pred[[c for c in pred.columns if c.startswith("probability_")]].to_numpy(dtype=float)
        return out | metrics_for(task, y, scores) | {"scored_on": "this holdout"}
    except (MlbpError, KeyError, ValueError, OSError) as exc:
        log.warning("champion v%s could not be re-scored on this holdout (%s); using its recorded scorecard",
                    version["version"], exc)
        recorded = (info.get("scorecard") or {})
        metric = recorded.get("primary_metric")
        metrics = dict(info.get("metrics") or {})
        if metric and recorded.get("primary") is not None:
            metrics[metric] = recorded["primary"]
        return out | metrics | {"scored_on": "its own holdout (recorded)"}
