"""The packaged configs are generic: every setting of the bundled example lives in its overlay
(examples/restaurant_offers/conf), so a project made by `mlbp init` inherits none of it."""

from __future__ import annotations

import ast
import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml

from mlbp.cli import main
from tests.tables import tickets

# words only the example uses: its name, target, columns, approvers and card text
EXAMPLE_WORDS = ("restaurant", "redeem", "offer_id", "sent_at", "loyalty", "region", "favourite_daypart",
                 "margin_if_redeemed", "discount_cost", "send_cost", "alice", "bob", "carol", "marketing")
EXAMPLE_RE = re.compile("|".join(EXAMPLE_WORDS), re.IGNORECASE)


def _files(root: Traversable):
    for entry in root.iterdir():
        if entry.is_dir():
            yield from _files(entry)
        elif entry.name.endswith(".yaml"):
            yield entry


def test_packaged_conf_names_nothing_of_the_example():
    """`grep -ri restaurant conf/` is empty, and so is every other word only the example uses."""
    files = list(_files(resources.files("mlbp.conf")))
    assert len(files) > 20
    hits = {f.name: sorted(set(m.lower() for m in EXAMPLE_RE.findall(f.read_text()))) for f in files}
    assert {name: words for name, words in hits.items() if words} == {}


def test_the_example_overlay_holds_what_left_conf():
    example = resources.files("mlbp.examples.restaurant_offers.conf")
    project = (example / "local" / "project.yaml").read_text()
    assert "restaurant-offers" in project and "alice" in project
    for group in ("data", "contract", "governance", "evaluation"):
        assert (example / group / "local.yaml").is_file(), group
        assert f"override /{group}: local" in project


def test_a_project_from_init_inherits_nothing_from_the_example(project_dir, capsys):
    """Card, slices, approvers, business values, teams: the composed config of a new project
    names no column, person or text of the example."""
    tickets(600).to_csv(project_dir / "tickets.csv", index=False)
    assert main(["init", "proj", str(project_dir / "tickets.csv"), "target=escalated"]) == 0
    capsys.readouterr()
    assert main(["--config-dir", str(project_dir / "proj" / "conf"), "--cfg", "job"]) == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert (cfg["project"], cfg["target"], cfg["task"]) == ("tickets", "escalated", "binary")
    assert cfg["registry"]["roles"] == {} and cfg["registry"]["card"]["intended_use"] is None
    assert cfg["registry"]["card"]["owners"] == ["data-science"]
    assert "tickets.csv (600 rows" in cfg["registry"]["card"]["limitations"][0]
    assert cfg["evaluation"]["business"] == {} and cfg["evaluation"]["scorecard"]["slices"]["columns"] == []
    assert list(cfg["governance"]["teams"]) == ["data-science"]
    assert cfg["data"]["source"]["_target_"].endswith("CsvSource")
    assert EXAMPLE_RE.findall(yaml.safe_dump(cfg)) == []


def test_a_project_that_sets_no_target_is_told_in_one_line(project_dir, capsys):
    conf = project_dir / "conf"
    (conf / "local").mkdir(parents=True)
    (conf / "contract").mkdir()
    (conf / "contract" / "mine.yaml").write_text("name: mine\ncolumns: {}\n")
    (conf / "local" / "project.yaml").write_text(
        "# @package _global_\ndefaults:\n  - override /data: csv\n  - override /contract: mine\n")
    assert main(["--config-dir", str(conf), "data.source.path=x.csv"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "project, target, task: not set" in err and "conf/local/project.yaml" in err
    assert "cannot resolve" not in err  # one line, not one per stage that reads them


def test_the_library_never_imports_an_example():
    """Examples sit above the library: a stage reaches them only through a config's `_target_`.
    (import-linter cannot see mlbp.examples, which setuptools maps from the top-level examples/.)"""
    root = Path(__file__).resolve().parents[2] / "mlbp"
    importers = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            importers += [f"{path.relative_to(root)}: {n}" for n in names if n.startswith("mlbp.examples")]
    assert len(list(root.rglob("*.py"))) > 50 and importers == []


def test_no_packaged_preset_sets_a_data_source_parameter():
    """Source parameters (the example generator's n_rows) belong to a project's data config: a
    preset that sets one breaks every project whose source has no such parameter."""
    experiments = resources.files("mlbp.conf") / "experiment"
    for f in (e for e in experiments.iterdir() if e.name.endswith(".yaml")):
        doc = yaml.safe_load(f.read_text()) or {}
        assert "source" not in (doc.get("data") or {}), f.name
