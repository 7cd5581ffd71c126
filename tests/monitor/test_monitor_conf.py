"""Every file in conf/monitor composes and builds: each monitor, the prediction log, each traffic policy."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from mlbp.compose.allowlist import safe_instantiate
from mlbp.compose.launch import compose_config

CONF = resources.files("mlbp.conf") / "monitor"
TRAFFIC = sorted(p.name.removesuffix(".yaml") for p in (CONF / "traffic").iterdir() if p.name.endswith(".yaml"))


def _cfg(tmp_path, *overrides: str):
    return compose_config([f"paths.root={tmp_path}", *overrides])


def test_default_monitor_config_builds_every_monitor(tmp_path):
    cfg = _cfg(tmp_path)
    assert cfg.monitor.traffic is None  # one model answers unless a policy is chosen
    for name in ("drift", "quality", "performance", "sla"):
        obj = safe_instantiate(cfg.monitor[name], f"monitor.{name}", ("mlbp.",))
        assert obj.name == name and callable(obj.run)
    log = safe_instantiate(cfg.monitor.prediction_log, "monitor.prediction_log", ("mlbp.",))
    try:
        assert log.root == tmp_path / ".mlbp" / "predictions"
        assert "email" in log.masker.columns  # the example governance masks pii for data-science
    finally:
        log.close()
    rules = OmegaConf.to_container(cfg.monitor.alerts.rules)
    assert {r["severity"] for r in rules} <= {"info", "warning", "critical"}


@pytest.mark.parametrize("policy", TRAFFIC)
def test_each_traffic_policy_builds_and_routes(tmp_path, policy):
    cfg = _cfg(tmp_path, f"monitor/traffic={policy}")
    router = safe_instantiate(cfg.monitor.traffic, "monitor.traffic", ("mlbp.",))
    variant, shadows = router.choose("caller-1")
    assert variant in router.variants and set(shadows) <= set(router.variants)
    router.reward(variant, 1.0)
    assert sum(router.allocation().values()) == pytest.approx(1.0)
    router.close()
    assert Path(cfg.monitor.traffic.state_path).exists()
