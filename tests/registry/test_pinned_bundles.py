"""A registered bundle is pinned: rewrite `model.joblib` and its hash in `manifest.json` together
(the bundle still verifies against its own manifest) and serve, score, monitor, a hot swap and
`mlbp registry verify` all refuse it, and the planted pickle never runs."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import joblib
import pytest

from mlbp.cli import main
from mlbp.registry.bundle import sha256, verify
from mlbp.registry.store import registry_of
from tests.monitor.monitor_fixtures import synthetic_records, write_log

MODEL = "restaurant-offers"
SAYS = "changed after registration"


class Planted:
    """Unpickling this runs a shell command: the marker file proves the bundle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def tamper(bundle: Path, marker: Path) -> None:
    """Swap the model and fix up the manifest, as someone with write access to the folder would."""
    joblib.dump(Planted(marker), bundle / "model.joblib")
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"]["model.joblib"] = sha256(bundle / "model.joblib")
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    verify(bundle)  # the bundle's own check is satisfied: only the registry's pin can tell


@pytest.fixture
def project(champion_project, tmp_path, monkeypatch):
    """A copy of the shared project with its own registry (the copied database would still point
    at the shared project's bundle folders): the champion's bundle registered there as v1."""
    root = tmp_path / "project"
    shutil.copytree(champion_project, root, ignore=shutil.ignore_patterns("outputs", "registry"))
    monkeypatch.chdir(root)
    reg = _registry(tmp_path)
    v = reg.register(MODEL, champion_project / ".mlbp" / "registry" / MODEL / "v1", "v1", author="dave")
    reg.set_alias(MODEL, "champion", v["version"], actor="dave")
    return root


def _where(tmp_path: Path) -> list[str]:
    return [f"registry.db=sqlite:///{tmp_path}/registry.db", f"registry.root={tmp_path / 'registry'}"]


def _registry(tmp_path: Path):
    return registry_of({"db": f"sqlite:///{tmp_path}/registry.db", "root": tmp_path / "registry"})


def test_every_command_refuses_a_rewritten_bundle(project, tmp_path, capsys):
    v1 = tmp_path / "registry" / MODEL / "v1"
    golden = v1 / "golden.parquet"
    rows = tmp_path / "rows.parquet"
    import pandas as pd

    pd.read_parquet(golden).filter(regex="^(?!expected_)").to_parquet(rows)
    now = time.time()
    preds, _ = synthetic_records(v1, 50, start=now - 300, span_s=200)
    write_log(tmp_path / "log", preds)
    marker = tmp_path / "pwned"
    tamper(v1, marker)

    assert main(["registry", "verify", *_where(tmp_path)]) != 0
    said = capsys.readouterr()
    assert f"{MODEL} v1" in said.out + said.err and SAYS in said.out + said.err
    runs = {
        "score": ["score", str(rows), f"deploy.score.output={tmp_path / 'scores'}"],
        "serve": ["serve", "deploy.rest.port=1", "deploy.rest.poll_seconds=0"],
        "monitor": ["monitor", f"monitor.prediction_log.root={tmp_path / 'log'}", f"monitor.state={tmp_path / 's'}",
                    f"hydra.run.dir={tmp_path / 'monitor-run'}"],
    }
    for name, args in runs.items():
        assert main([*args, *_where(tmp_path)]) != 0, name
        err = capsys.readouterr().err
        assert SAYS in err and f"{MODEL} v1" in err and "Traceback" not in err, (name, err)
    assert not marker.exists()
    assert not (tmp_path / "scores" / "batch.json").exists()


def test_registry_verify_names_the_rewritten_version(project, tmp_path):
    tamper(tmp_path / "registry" / MODEL / "v1", tmp_path / "pwned")
    problems = _registry(tmp_path).verify()
    assert any(p.startswith(f"bundle {MODEL} v1:") and SAYS in p for p in problems), problems
    assert not (tmp_path / "pwned").exists()


def test_a_hot_swap_to_a_rewritten_version_keeps_the_old_one_serving(project, tmp_path):
    from mlbp.deploy.rest.variants import Source, Variants

    reg = _registry(tmp_path)
    v1 = tmp_path / "registry" / MODEL / "v1"
    copy = tmp_path / "bundle2"
    shutil.copytree(v1, copy)
    (copy / "notes.txt").write_text("a second version")  # another folder hash, still a valid bundle
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["notes.txt"] = sha256(copy / "notes.txt")
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    v2 = reg.register(MODEL, copy, "second")["version"]
    assert v2 == 2
    variants = Variants({"champion": Source(db=reg.url, root=str(reg.root), model=MODEL, ref="champion")})
    assert variants["champion"].model.version == 1
    tamper(tmp_path / "registry" / MODEL / "v2", tmp_path / "pwned")
    reg.set_alias(MODEL, "champion", 2, actor="alice")
    assert variants.refresh() == []
    assert variants["champion"].model.version == 1 and SAYS in variants["champion"].last_error
    assert not (tmp_path / "pwned").exists()
