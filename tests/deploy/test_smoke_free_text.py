"""The serve smoke check speaks CSV as clients do: values holding commas, quotes and line breaks
(free-text columns such as job titles) reach the server intact on every protocol. The check used
to join values with commas and failed with "row 15 has 54 fields, the header 53"."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from mlbp.cli import main

TITLES = ["Engineer, Senior", 'Analyst "data"', "Manager\nSales", "Clerk", "Nurse; night shift"]


def test_free_text_values_pass_the_serve_check_on_every_protocol(project_dir):
    rng = np.random.default_rng(4)
    n = 2500
    title = rng.choice(TITLES, n)
    tenure = rng.gamma(2.0, 3.0, n).round(1)
    left = (tenure < 3) ^ (rng.random(n) < 0.15) | (title == "Clerk") & (rng.random(n) < 0.5)
    pd.DataFrame({"staff_ref": [f"S{i:05d}" for i in range(n)], "job_title": title, "tenure_years": tenure,
                  "left": np.where(left, "yes", "no")}).to_parquet(project_dir / "staff.parquet", index=False)
    assert main(["init", "proj", str(project_dir / "staff.parquet"), "target=left"]) == 0
    assert main(["--config-dir", str(project_dir / "proj" / "conf"), "stack.params.n_estimators=40"]) == 0
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    check = json.loads((project_dir / ".mlbp/store/objects" / run["artifacts"]["serve_check"] / "serve_check.json")
                       .read_text())
    assert set(check["protocols"].values()) == {"ok"} and "mlflow csv" in check["protocols"]
    golden = pd.read_parquet(project_dir / ".mlbp/store/objects" / run["artifacts"]["bundle"] / "golden.parquet")
    assert golden["job_title"].str.contains(r'[,"\n]').any()  # the golden rows do hold such values
