"""A 4,000-level column with new levels in its newest rows goes from `mlbp init` through training,
packaging, `serve_check` and `mlbp monitor` with no hand edit and no false alarm: the category
policy keeps the frequent levels, folds the rest into "other", the served model answers an unseen
level as "other" (under `unknown_category=score`) or refuses that row alone (`reject`, the
default), and drift on the column compares like with like (issue 28's "done when")."""

from __future__ import annotations

import json
import time

import joblib
import pandas as pd
import pytest

from mlbp.cli import main
from mlbp.monitor.prediction_log import PredictionLog
from tests.deploy.conftest import bundle_server, running
from tests.tables import shops


def _run(project_dir, stack, encoding):
    shops().to_csv(project_dir / "orders.csv", index=False)
    assert main(["init", "proj", str(project_dir / "orders.csv"), "target=returned"]) == 0
    assert main(["--config-dir", str(project_dir / "proj" / "conf"), f"stack={stack}",
                 f"stack.preprocess.categorical={encoding}",
                 "stack.params.n_estimators=60" if stack == "lightgbm" else "stack.calibration=null"]) == 0
    run = json.loads(sorted(project_dir.glob("outputs/*/*/run.json"))[-1].read_text())
    return run, project_dir / ".mlbp/store/objects" / run["artifacts"]["bundle"]


@pytest.mark.parametrize(("stack", "encoding"), [("lightgbm", "native"),
                                                 pytest.param("logistic", "onehot", marks=pytest.mark.slow),
                                                 pytest.param("logistic", "target", marks=pytest.mark.slow)])
def test_a_4000_level_column_trains_packages_and_serves(project_dir, stack, encoding):
    run, bundle = _run(project_dir, stack, encoding)
    assert run["status"] == "done" and run["stages"]["serve_check"]["facts"]["protocols"] == 7
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert "shop" in manifest["signature"]["categorical"]
    model = joblib.load(bundle / "model.joblib")
    policy = model.named_steps["preprocess"].named_transformers_["cat"].named_steps["policy"]
    assert len(policy.kept_["shop"]) <= 254 and policy.dropped_["shop"] > 1000  # thousands folded into "other"
    if encoding == "onehot":
        width = len(model.named_steps["preprocess"].get_feature_names_out())
        assert width < 70  # one-hot of kept levels, not of 4,000
    golden = pd.read_parquet(bundle / "golden.parquet")
    known = set(manifest["signature"]["inputs"]["shop"]["categories"])
    assert (~golden["shop"].isin(known)).any()  # the golden rows include levels training never saw

    rare = next(s for s in policy.kept_["shop"] ^ known if s.startswith("shop-"))  # known, folded into other
    row = golden.drop(columns=[c for c in golden if c.startswith("expected_")]).iloc[0].to_dict()
    row = {k: (None if v != v else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}
    with running(bundle_server(bundle, unknown_category="score")) as s, s.client() as c:
        as_rare = c.post("/predict", json={**row, "shop": rare}).json()["predictions"][0]
        unseen = c.post("/predict", json={**row, "shop": "a shop that opened today"}).json()["predictions"][0]
    assert unseen == as_rare
    with running(bundle_server(bundle)) as s, s.client() as c:
        r = c.post("/predict", json={"records": [row, {**row, "shop": "a shop that opened today"}]})
    preds = r.json()["predictions"]
    assert r.status_code == 200 and "error" not in preds[0] and preds[1]["field"] == "shop"
    assert len(preds[1]["error"]) < 300

    # a month of traffic like the newest rows (a quarter of them from shops that opened since),
    # logged by the server, then `mlbp monitor` on the project with its own config
    traffic = shops(seed=99)
    traffic = traffic[traffic["placed_on"] >= traffic["placed_on"].max()[:8] + "01"].head(1500)
    features = manifest["signature"]["numeric"] + manifest["signature"]["categorical"]
    refused = 0
    log = PredictionLog(project_dir / "log", flush_rows=100_000)
    started = time.time()
    with running(bundle_server(bundle, sink=log)) as s, s.client() as c:
        for at in range(0, len(traffic), 100):
            rows = traffic.iloc[at:at + 100][features]
            r = c.post("/invocations", json={"dataframe_records": rows.to_dict("records")})
            assert r.status_code == 200, r.text
            refused += sum("error" in p for p in r.json()["predictions"])
    assert refused == int((~traffic["shop"].isin(known)).sum()) > traffic["shop"].str.startswith("new-shop").sum()
    out = project_dir / "monitor-run"
    assert main(["monitor", "--config-dir", str(project_dir / "proj" / "conf"),
                 f"monitor.prediction_log.root={project_dir / 'log'}", f"monitor.state={project_dir / 'state'}",
                 f"monitor.window.start={started - 60}", f"monitor.window.end={time.time() + 60}",
                 f"hydra.run.dir={out}"]) == 0
    report = json.loads((out / "monitor_report.json").read_text())
    drift = report["results"]["drift"]
    assert report["window"]["served_rows"] == len(traffic) - refused
    assert drift["drifted_columns"] == [], {c: (r["score"], r["threshold"]) for c, r in drift["columns"].items()}
    assert drift["columns"]["shop"]["scores"]["unseen_exact"] and drift["columns"]["shop"]["scores"][
        "unseen_share"] == 0.0  # every logged shop was known: the refused rows are not in the log
    assert report["results"]["quality"]["passed"], report["results"]["quality"]["failures"]
