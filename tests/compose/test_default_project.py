"""With no project given, `mlbp` runs the bundled example: the launcher puts the example's overlay
(examples/restaurant_offers/conf, shipped as mlbp.examples.restaurant_offers.conf) on Hydra's search path. A project's
own --config-dir (what `mlbp init` tells users to run) sees none of it."""

from __future__ import annotations

from mlbp.cli import main
from mlbp.compose.launch import EXAMPLE_OVERLAY, with_default_project


def test_the_example_overlay_is_added_only_without_a_project():
    overlay = f"hydra.searchpath=[{EXAMPLE_OVERLAY}]"
    # among the other overrides: Hydra's parser reads the overrides as one run of positionals
    assert with_default_project(["stack=xgboost"]) == [overlay, "stack=xgboost"]
    assert with_default_project(["registry=strict", "--cfg", "job"]) == [overlay, "registry=strict", "--cfg", "job"]
    assert with_default_project(["-m", "stack=a,b"]) == ["-m", overlay, "stack=a,b"]
    assert with_default_project(["--cfg", "job"]) == ["--cfg", "job", overlay]
    assert with_default_project([]) == [overlay]
    for argv in (["--config-dir", "p/conf"], ["--config-dir=p/conf"], ["-cd", "p/conf"],
                 ["hydra.searchpath=[file:///x]"], ["+hydra.searchpath=[file:///x]"]):
        assert with_default_project(argv) == argv


def _defaults(capsys, *args: str) -> str:
    """What `mlbp --info defaults` prints: every config the composition read, and from where."""
    main(["--info", "defaults", *args])
    return capsys.readouterr().out


def test_mlbp_with_no_project_composes_the_example_overlay(project_dir, capsys):
    out = _defaults(capsys)
    assert "local/project" in out
    assert main(["registry", "list", "registry=strict", "--cfg", "job"]) == 0  # overrides, then a flag
    assert "first_champion: 'off'" in capsys.readouterr().out
    (project_dir / "conf" / "contract").mkdir(parents=True)
    (project_dir / "conf" / "contract" / "mine.yaml").write_text("name: mine\ncolumns: {}\n")
    out = _defaults(capsys, "--config-dir", str(project_dir / "conf"), "data=csv", "contract=mine")
    assert "contract/mine" in out and "local/project" not in out


def test_a_folder_that_is_no_project_is_refused_in_one_line(project_dir, capsys):
    """The packaged defaults name no data source and no contract: the example's come from its
    overlay only, and a --config-dir without a project file is told what is missing."""
    (project_dir / "conf").mkdir()
    assert main(["--config-dir", str(project_dir / "conf"), "--cfg", "job"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "is not an mlbp project" in err and "data and contract" in err and "mlbp init" in err
    assert main(["--config-dir", str(project_dir / "conf"), "data=csv", "--cfg", "job"]) == 1
    assert "choosing contract" in " ".join(capsys.readouterr().err.split())
