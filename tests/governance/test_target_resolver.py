"""One `_target_` resolver for every config group, refusing what a config must never run.

Found: the allow-list checked a name's prefix and imported it, so `mlbp.registry.notify.os.system`
passed (it starts with `mlbp.`), a scikit-learn helper that starts a subprocess passed as a stack's
estimator, and Hydra built `hydra.callbacks` from a project's overlay before mlbp saw it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlbp.cli import main
from mlbp.engine import targets
from mlbp.engine.errors import MlbpError

REPO = Path(__file__).resolve().parents[2]
SHELLS_OUT = "sklearn.utils._testing.assert_run_python_script_without_output"  # runs a Python subprocess
HOSTILE = ["os.system", "subprocess.Popen", "subprocess.run", "builtins.eval", "builtins.exec",
           "mlbp.registry.notify.os.system", "mlbp.registry.notify.os", "mlbp.engine.targets.importlib.import_module",
           "sklearn.utils._testing.os.system", SHELLS_OUT, "mlbp.engine.targets.resolve", "sklearn",
           "mlbp..engine", "lightgbm.basic.ctypes.CDLL"]
GROUPS = ["pipeline.stages.train", "pipeline.stages.train.stack.estimator.binary", "stack.estimator.regression",
          "stack.preprocess", "data.source", "pipeline.stages.ingest.source.sources[1]",
          "registry.notify.sinks[0]", "monitor.prediction_log", "monitor.traffic", "monitor.drift",
          "pipeline.stages.evaluate.split", "hydra.callbacks.evil", "allow_targets_free_key"]


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused_in_every_group(group, target):
    with pytest.raises(MlbpError) as err:
        targets.resolve(target, f"{group}._target_")
    assert err.value.key == f"{group}._target_" and len(str(err.value).splitlines()[0]) < 400


@pytest.mark.parametrize("group, target", [
    ("pipeline.stages.train.stack.estimator.binary", "mlbp.registry.notify.LogSink"),  # a class, the wrong kind
    ("registry.notify.sinks[0]", "sklearn.linear_model.LogisticRegression"),
    ("pipeline.stages.train", "sklearn.linear_model.LogisticRegression"),
    ("data.source", "mlbp.monitor.prediction_log.PredictionLog"),
    ("monitor.prediction_log", "mlbp.data.sources.CsvSource"),
    ("hydra.callbacks.x", "mlbp.registry.notify.LogSink"),
])
def test_a_class_of_the_wrong_kind_is_refused_naming_what_belongs(group, target):
    with pytest.raises(MlbpError, match="holds a"):
        targets.resolve(target, f"{group}._target_")


@pytest.mark.parametrize("group, target", [
    ("pipeline.stages.train.stack.estimator.binary", "sklearn.linear_model.LogisticRegression"),
    ("stack.estimator.binary", "lightgbm.LGBMClassifier"),
    ("stack.estimator.binary", "xgboost.XGBClassifier"),
    ("registry.notify.sinks[0]", "mlbp.registry.notify.JsonlSink"),
    ("pipeline.stages.ingest.source", "mlbp.data.sources.CsvSource"),
    ("pipeline.stages.train", "mlbp.stacks.train.Train"),
    ("monitor.prediction_log", "mlbp.monitor.prediction_log.PredictionLog"),
    ("pipeline.stages.evaluate.split", "mlbp.stacks.splits.time.TimeSplit"),
])
def test_the_packaged_classes_resolve(group, target):
    assert isinstance(targets.resolve(target, f"{group}._target_"), type)


def test_exact_names_and_prefixes_on_the_allow_list():
    entries = ("mlbp.", "collections.OrderedDict")
    assert targets.resolve("collections.OrderedDict", "x._target_", entries).__name__ == "OrderedDict"
    with pytest.raises(MlbpError, match="not in the allow-list"):
        targets.resolve("collections.Counter", "x._target_", entries)
    with pytest.raises(MlbpError, match="not in the allow-list"):
        targets.resolve("mlbpx.Anything", "x._target_", entries)


def test_a_hostile_estimator_is_refused_before_anything_runs(project_dir, capsys):
    assert main([f"stack.estimator.binary._target_={SHELLS_OUT}", "data.source.n_rows=500"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "is not allowed" in err and "stack.estimator.binary._target_" in err
    assert not (project_dir / ".mlbp" / "lake").exists()  # not even ingest ran


def _project(tmp: Path, extra: str) -> Path:
    conf = tmp / "conf"
    shutil.copytree(REPO / "examples" / "subscriptions" / "conf", conf)
    with (conf / "local" / "project.yaml").open("a") as f:
        f.write(extra)
    return conf


@pytest.mark.parametrize("extra", [
    "hydra:\n  callbacks:\n    evil:\n      _target_: subprocess.Popen\n      args: [touch, {marker}]\n",
    "hydra:\n  callbacks:\n    evil:\n      _target_: mlbp.registry.notify.os.system\n      command: touch {marker}\n",
    "hydra:\n  job_logging:\n    handlers:\n      evil:\n        (): os.system\n        command: touch {marker}\n",
])
def test_what_hydra_builds_itself_is_refused_before_hydra_runs(project_dir, capsys, extra):
    marker = project_dir / "MARKER"
    conf = _project(project_dir, extra.format(marker=marker))
    assert main(["--config-dir", str(conf), "only=[ingest]"]) == 1
    assert not marker.exists()
    assert "not allowed" in " ".join(capsys.readouterr().err.split())


def test_a_hydra_callback_on_the_command_line_is_refused(project_dir, capsys):
    marker = project_dir / "MARKER"
    assert main(["+hydra.callbacks.evil._target_=subprocess.Popen", f"+hydra.callbacks.evil.args=[touch,{marker}]",
                 "only=[ingest]", "data.source.n_rows=500"]) == 1
    assert not marker.exists()
