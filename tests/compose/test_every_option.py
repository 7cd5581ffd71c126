"""Compose and instantiate every option of every config group (a typo in any YAML fails here)."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from omegaconf import OmegaConf

from mlbp.compose.build import build_graph
from mlbp.compose.launch import compose_config

# the packaged generic configs, and the bundled example's overlay (its project files count too)
ROOTS = (resources.files("mlbp.conf"), resources.files("mlbp.examples.restaurant_offers.conf"))
SKIP_GROUPS = {"hydra", "local"}  # local/project is the overlay's own entry in the defaults list


def options():
    found = set()
    for root in ROOTS:
        for group in (p for p in root.iterdir() if p.is_dir() and p.name not in SKIP_GROUPS):
            if group.name.startswith("_"):
                continue
            found |= {(group.name, f.name.removesuffix(".yaml")) for f in group.iterdir() if f.name.endswith(".yaml")}
    return sorted(found)


def compose_with(overrides, tmp_path):
    return compose_config([f"paths.root={tmp_path}", *overrides])


@pytest.mark.parametrize(("group", "option"), list(options()))
def test_option_composes_and_builds(group, option, tmp_path):
    override = f"{group}={option}"
    cfg = compose_with([override], tmp_path)
    # values the user must give (marked ???) get a placeholder: building must not read them
    missing = sorted(k for k in OmegaConf.missing_keys(cfg) if not k.startswith("hydra"))
    for key in missing:
        OmegaConf.update(cfg, re.sub(r"\[(\d+)\]", r".\1", key), "placeholder")
    graph = build_graph(cfg)
    assert graph.order, f"{group}={option} built an empty graph"


def test_there_is_something_to_test():
    groups = {g for g, _ in options()}
    assert {"data", "contract", "stack", "pipeline", "experiment", "evaluation"} <= groups
