"""`mlbp init` reads the columns as a careful data scientist would: a dry run shows every decision
and writes nothing, an existing folder is never silently overwritten, the README records each
decision with the key that changes it, personal data is classified for governance, a repeated id
chooses the group split, and no id or personal-data column ever becomes a model feature."""

from __future__ import annotations

import json

import pytest
import yaml

from mlbp.cli import main
from mlbp.io import read_frame
from tests.data.test_roles import table

PERSONAL = {"email", "phone", "customer_name", "zip"}
IDS = {"order_no", "order_uuid", "customer_id"}


def _orders(project_dir, drop=(), fmt="csv"):
    path = project_dir / f"orders.{fmt}"
    df = table().drop(columns=list(drop))
    df.to_csv(path, index=False) if fmt == "csv" else df.to_parquet(path, index=False)
    return path


def test_a_dry_run_shows_every_decision_and_writes_nothing(project_dir, capsys):
    data = _orders(project_dir)
    assert main(["init", "proj", str(data), "target=returned", "+dry_run=true"]) == 0
    out = capsys.readouterr().out
    assert not (project_dir / "proj").exists() and "dry run: nothing written" in out
    for column in ("order_no", "email", "placed_eu", "refund_amount", "return_score", "country", "store_code"):
        assert column in out
    assert "roles.feature=[refund_amount]" in out


def test_an_existing_folder_is_refused_unless_overwrite_is_asked(project_dir, capsys):
    data = _orders(project_dir)
    (project_dir / "proj").mkdir()
    (project_dir / "proj" / "notes.md").write_text("mine")
    assert main(["init", "proj", str(data), "target=returned"]) == 1
    assert "already exists" in capsys.readouterr().err and not (project_dir / "proj" / "conf").exists()
    assert main(["init", "proj", str(data), "target=returned", "+overwrite=true"]) == 0
    assert (project_dir / "proj" / "notes.md").read_text() == "mine"  # replaced files only, nothing deleted


def test_the_project_records_roles_governance_and_overrides(project_dir, capsys):
    data = _orders(project_dir)
    assert main(["init", "proj", str(data), "target=returned", "roles.feature=[store_code,refund_amount]"]) == 0
    conf = project_dir / "proj" / "conf"
    readme = (project_dir / "proj" / "README.md").read_text()
    assert "## Every column, and why" in readme
    assert "| `return_score` | leak | alone it predicts the target almost perfectly" in readme
    assert "| `refund_amount` | feature (numeric) | set on the command line (roles.feature)" in readme
    gov = yaml.safe_load((conf / "governance" / "local.yaml").read_text())
    assert gov["classifications"] == dict.fromkeys(sorted(PERSONAL), "pii") | gov["classifications"]
    assert set(gov["classifications"]) == PERSONAL
    contract = yaml.safe_load((conf / "contract" / "local.yaml").read_text())
    assert all(contract["columns"][c].get("pii") for c in PERSONAL)
    exclude = set(yaml.safe_load((conf / "data" / "local.yaml").read_text())["exclude"])
    assert IDS | PERSONAL | {"return_score", "country", "coupon"} <= exclude and "refund_amount" not in exclude


def test_a_failing_init_leaves_no_half_written_folder(project_dir, monkeypatch, capsys):
    import mlbp.data.scaffold as scaffold

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(scaffold, "_registry_block", broken)
    with pytest.raises(OSError):
        scaffold.scaffold(project_dir / "proj", _orders(project_dir), "returned")
    assert not (project_dir / "proj").exists()


def test_an_id_that_is_also_a_feature_is_refused_in_one_line(project_dir, capsys):
    data = _orders(project_dir)
    assert main(["init", "proj", str(data), "target=returned", "id_column=order_no", "roles.feature=[order_no]"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "'order_no' is both the id column and a feature" in err and "Traceback" not in err


def test_a_repeated_id_without_dates_chooses_the_group_split(project_dir, capsys):
    dates = ["placed_iso_zone", "placed_us", "placed_eu", "placed_words", "placed_utc", "created_at"]
    data = _orders(project_dir, drop=dates)
    assert main(["init", "proj", str(data), "target=returned"]) == 0
    assert "split: group, because 'customer_id' repeats" in " ".join(capsys.readouterr().out.split())
    project = yaml.safe_load((project_dir / "proj" / "conf" / "local" / "project.yaml").read_text())
    assert project["split"] == {"group_column": "customer_id"} and project["id_column"] == "order_no"
    assert main(["--config-dir", str(project_dir / "proj" / "conf"), "only=[split]"]) == 0
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    store = project_dir / ".mlbp/store/objects"
    train = read_frame(store / run["artifacts"]["train"])
    holdout = read_frame(store / run["artifacts"]["holdout"])
    assert run["stages"]["split"]["facts"]["strategy"] == "group"
    assert not set(train["customer_id"]) & set(holdout["customer_id"])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])  # Parquet keeps the dates as zoned text
def test_a_table_with_all_of_these_runs_to_a_served_model_with_no_id_or_personal_feature(project_dir, fmt):
    data = _orders(project_dir, fmt=fmt)
    assert main(["init", "proj", str(data), "target=returned"]) == 0
    assert main(["--config-dir", str(project_dir / "proj" / "conf"), "stack.params.n_estimators=60"]) == 0
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    assert run["status"] == "done" and run["stages"]["serve_check"]["facts"]["protocols"] == 7
    model = json.loads((project_dir / ".mlbp/store/objects" / run["artifacts"]["model"] / "model.json").read_text())
    features = set(model["numeric"]) | set(model["categorical"])
    assert features == {"store_code", "basket_eur", "items", "express", "channel"}
    assert not features & (IDS | PERSONAL)
