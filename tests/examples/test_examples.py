"""The examples beside restaurant_offers: each folder is exactly what `mlbp init` writes for its
data (so they show what a user gets, and a change to init shows up here), its data regenerates
byte for byte, and `mlbp --config-dir examples/X/conf` runs it end to end (the slowest two in
the slow suite)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from mlbp.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = {  # folder -> (data file, target, task, split init must choose)
    "house_sales": ("house_sales.csv", "sale_price", "regression", "time"),
    "ticket_routing": ("tickets.csv", "department", "multiclass", "time"),
    "subscriptions": ("subscriptions.csv", "renewed", "binary", "group"),
}


def _generator(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", REPO / "examples" / name / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_data_regenerates_byte_for_byte(name):
    data = REPO / "examples" / name / "data" / EXAMPLES[name][0]
    assert _generator(name)().to_csv(index=False) == data.read_text()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_folder_is_what_init_writes(name, tmp_path, monkeypatch):
    csv, target, task, split = EXAMPLES[name]
    folder = tmp_path / "examples" / name
    (folder / "data").mkdir(parents=True)
    shutil.copy(REPO / "examples" / name / "data" / csv, folder / "data" / csv)
    monkeypatch.chdir(tmp_path)  # the same relative names as in the repository
    assert main(["init", f"examples/{name}", f"examples/{name}/data/{csv}", f"target={target}",
                 "+overwrite=true"]) == 0
    committed = REPO / "examples" / name
    written = sorted(p.relative_to(folder) for p in (folder / "conf").rglob("*.yaml"))
    assert written == sorted(p.relative_to(committed) for p in (committed / "conf").rglob("*.yaml"))
    for rel in written:
        assert (folder / rel).read_text() == (committed / rel).read_text(), rel
    readme = (committed / "README.md").read_text()
    assert readme.startswith((folder / "README.md").read_text().rstrip())  # plus its "About this example"
    project = (committed / "conf" / "local" / "project.yaml").read_text()
    assert f"task: {task}" in project and f"/split: {split}" in project


@pytest.mark.parametrize("name", [
    "subscriptions",
    pytest.param("house_sales", marks=pytest.mark.slow),
    pytest.param("ticket_routing", marks=pytest.mark.slow),
])
def test_the_example_runs_end_to_end(name, project_dir):
    assert main(["--config-dir", str(REPO / "examples" / name / "conf")]) == 0
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    assert run["status"] == "done"
    facts = {s: r.get("facts", {}) for s, r in run["stages"].items()}
    assert facts["serve_check"]["protocols"] == 7 and facts["register"]["version"] == 1
    assert facts["split"]["strategy"] == EXAMPLES[name][3]
    assert (project_dir / sorted(project_dir.glob("outputs/*/*/report.html"))[-1]).exists()


@pytest.mark.slow
def test_the_bundled_example_runs_from_its_own_config_dir(project_dir):
    """`mlbp` alone runs restaurant_offers; `--config-dir examples/restaurant_offers/conf` must too."""
    conf = REPO / "examples" / "restaurant_offers" / "conf"
    assert main(["--config-dir", str(conf), "experiment=quick", "data.source.n_rows=3000"]) == 0
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    assert run["status"] == "done" and run["stages"]["register"]["facts"]["version"] == 1
