"""`registry.db` and `registry.root` reach every stage and command.

A team pointed `registry.db` at another database: the pipeline registered its versions there, but
`mlbp score`, `mlbp serve`, `mlbp monitor` and evaluate's champion comparison still read the local
SQLite file, and `mlbp score` with the same override did not find the champion it had just
registered. Here the registry lives in a second SQLite file (and, in CI, a PostgreSQL database)
and a folder of its own; the default database holds no registry at all, and every command finds
the champion."""

from __future__ import annotations

import json

import httpx
import pandas as pd

from mlbp.cli import main
from tests.conftest import CHAMPION_RUN
from tests.deploy.conftest import free_port, mlbp_process


def test_every_command_finds_the_champion_in_the_configured_registry(project_dir, db_url, capsys):
    root = project_dir / "elsewhere" / "bundles"
    where = [f"registry.db={db_url}", f"registry.root={root}"]
    assert main([*CHAMPION_RUN, *where]) == 0
    assert (root / "restaurant-offers" / "v1" / "manifest.json").exists()
    assert not (project_dir / ".mlbp" / "registry").exists()  # nothing fell back to the default place

    # a second run compares against the champion it finds there (evaluate's champion stage input)
    assert main([*CHAMPION_RUN, *where, "evaluation.scorecard.lift_top_k=[0.05,0.2]"]) == 0  # not a cache hit
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    store = project_dir / ".mlbp" / "store" / "objects"
    card = json.loads((store / run["artifacts"]["scorecard"] / "scorecard.json").read_text())
    assert card["champion"]["version"] == 1, card.get("champion")

    capsys.readouterr()
    assert main(["registry", "list", *where]) == 0
    assert "champion" in capsys.readouterr().out

    golden = pd.read_parquet(root / "restaurant-offers" / "v1" / "golden.parquet")
    data = project_dir / "incoming.parquet"
    golden[[c for c in golden.columns if not c.startswith("expected_")]].to_parquet(data)
    out = project_dir / "scored"
    assert main(["score", str(data), f"deploy.score.output={out}", *where]) == 0
    assert json.loads((out / "batch.json").read_text())["rows_scored"] > 0

    port = free_port()
    with mlbp_process(["serve", f"deploy.rest.port={port}", "deploy.rest.poll_seconds=0", *where], project_dir,
                      "/v2/health/ready") as (_, _, base):
        meta = httpx.get(f"{base}/v2/models/restaurant-offers", timeout=10).json()
        assert meta["versions"] == ["1"]
        row = {k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v))
               for k, v in golden.iloc[0].items() if not k.startswith("expected_")}
        assert httpx.post(f"{base}/predict", json=row, timeout=30).status_code == 200

    assert main(["monitor", *where, f"hydra.run.dir={project_dir / 'monitor-run'}"]) in (0, 2)
    report = json.loads((project_dir / "monitor-run" / "monitor_report.json").read_text())
    assert report["version"] == 1 and report["alias"] == "champion"
