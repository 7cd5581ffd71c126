"""Every launcher and sweep option composes; the parallel joblib launcher is the -m default."""

from __future__ import annotations

import importlib.util

import pytest

from mlbp.compose.launch import compose_config


def _hydra_cfg(*overrides: str):
    return compose_config(list(overrides), return_hydra_config=True)


def test_default_multirun_launcher_is_joblib_with_two_jobs():
    cfg = _hydra_cfg()
    assert cfg.hydra.launcher._target_.endswith("JoblibLauncher") and cfg.hydra.launcher.n_jobs == 2
    assert cfg.hydra.callbacks.leaderboard._target_ == "mlbp.compose.callbacks.Leaderboard"


@pytest.mark.parametrize("name,plugin,target", [
    ("basic", None, "BasicLauncher"),
    ("slurm", "hydra_plugins.hydra_submitit_launcher", "SlurmLauncher"),
    ("slurm_local", "hydra_plugins.hydra_submitit_launcher", "LocalLauncher"),
    ("ray_cluster", "hydra_plugins.hydra_ray_launcher", "RayLauncher"),
])
def test_launcher_configs_compose(name, plugin, target):
    if plugin and importlib.util.find_spec(plugin) is None:
        pytest.skip(f"{plugin} is not installed here (its own extra)")
    cfg = _hydra_cfg(f"hydra/launcher={name}")
    assert cfg.hydra.launcher._target_.endswith(target)
    if name == "slurm":
        assert cfg.hydra.launcher.cpus_per_task == 1


def test_hparams_search_uses_the_optuna_sweeper():
    if importlib.util.find_spec("hydra_plugins.hydra_optuna_sweeper") is None:
        pytest.skip("hydra-optuna-sweeper is not installed (the optuna extra)")
    cfg = _hydra_cfg("experiment=hparams_search")
    assert cfg.hydra.sweeper._target_.endswith("OptunaSweeper") and cfg.hydra.sweeper.direction == "maximize"
    assert set(cfg.hydra.sweeper.params) == {"stack.params.learning_rate", "stack.params.num_leaves",
                                             "stack.params.min_child_samples"}
    assert cfg.stack.name == "lightgbm"
