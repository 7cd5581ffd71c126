"""Batch scoring: every input kind, quarantine with reasons, counts reconcile, and the local and
Dask engines write identical output."""

from __future__ import annotations

import pandas as pd
import pytest

from mlbp.deploy.batch.score import score_dataset
from mlbp.deploy.smoke.reconcile import reconcile
from mlbp.engine.errors import MlbpError

WHEN = "2026-01-01T00:00:00Z"


def _read(folder):
    scores = pd.read_parquet(folder / "scores")
    return scores.sort_values("offer_id").reset_index(drop=True)


def test_local_engine_quarantines_and_reconciles(example, frame, tmp_path):
    src = tmp_path / "in.parquet"
    frame.to_parquet(src)
    out = tmp_path / "out"
    s = score_dataset(example["bundle"], src, out, engine="local", n_jobs=2, chunk_rows=700, id_column="offer_id",
                      scored_at=WHEN)
    assert s["rows_in"] == 3000 and s["rows_quarantined"] == 3 and s["reconciled"] and s["chunks"] == 5
    q = pd.read_parquet(out / "quarantine")
    assert sorted(q["reason"]) == ["distance_km: null is not allowed", "region: unknown category",
                                   "visits_90d: below min 0"]
    # categorical columns are read as Parquet dictionaries; the quarantine keeps the input's types
    import pyarrow.parquet as pq

    qschema, inschema = pq.read_schema(next((out / "quarantine").glob("*.parquet"))), pq.read_schema(src)
    assert all(qschema.field(f.name).type == f.type for f in inschema), (qschema, inschema)
    assert q.loc[q["reason"] == "region: unknown category", "region"].tolist() == ["atlantis"]
    assert reconcile(src, out)["ok"]
    scores = _read(out)
    assert list(scores.columns) == ["offer_id", "probability", "prediction", "model", "model_version", "scored_at"]
    assert set(scores["model_version"]) == {"1"} and (scores["model"] == "restaurant-offers").all()
    # the same numbers as the bundle's own pipeline
    from mlbp.registry.bundle import load
    from mlbp.stacks.predict import predict_frame

    b = load(example["bundle"])
    good = frame[~frame["offer_id"].isin(q["offer_id"])]
    want = predict_frame(b.model, b.signature, good, b.manifest["threshold"])
    merged = scores.set_index("offer_id").loc[good["offer_id"]]
    assert (merged["prediction"].to_numpy() == want["prediction"].to_numpy()).all()
    assert abs(merged["probability"].to_numpy() - want["probability"].to_numpy()).max() < 1e-12


def test_csv_partitioned_folder_and_lake_inputs(example, frame, tmp_path):
    csv = tmp_path / "in.csv"
    frame.to_csv(csv, index=False)
    folder = tmp_path / "parts"
    f = frame.copy()
    f["month"] = pd.to_datetime(f["sent_at"]).dt.strftime("%Y-%m")
    f.to_parquet(folder, partition_cols=["month"])
    results = {}
    for name, src in {"csv": csv, "folder": folder, "lake": "lake:restaurant_offers"}.items():
        out = tmp_path / f"out-{name}"
        results[name] = score_dataset(example["bundle"], src, out, n_jobs=1, chunk_rows=1000, id_column="offer_id",
                                      lake=example["root"] / ".mlbp" / "lake", scored_at=WHEN)
        assert results[name]["reconciled"]
    assert results["csv"]["rows_quarantined"] == results["folder"]["rows_quarantined"] == 3
    a, b = _read(tmp_path / "out-csv"), _read(tmp_path / "out-folder")
    assert a["offer_id"].tolist() == b["offer_id"].tolist()
    assert (a["probability"] - b["probability"]).abs().max() < 1e-12
    assert results["lake"]["rows_in"] >= 4000  # the ingested snapshot, invalid rows included


def test_missing_input_is_a_clear_error(example, tmp_path):
    with pytest.raises(MlbpError, match="does not exist"):
        score_dataset(example["bundle"], tmp_path / "nope.parquet", tmp_path / "out")
    with pytest.raises(MlbpError, match="unknown batch engine"):
        (tmp_path / "x.csv").write_text("a\n1\n")
        score_dataset(example["bundle"], tmp_path / "x.csv", tmp_path / "out", engine="spark")


def test_local_and_dask_engines_write_identical_output(example, frame, tmp_path):
    from distributed import Client, LocalCluster

    src = tmp_path / "in.parquet"
    frame.to_parquet(src)
    local = score_dataset(example["bundle"], src, tmp_path / "local", engine="local", n_jobs=2, chunk_rows=800,
                          id_column="offer_id", scored_at=WHEN, backend="loky")
    score_dataset(example["bundle"], src, tmp_path / "threads", engine="local", n_jobs=2, chunk_rows=800,
                  id_column="offer_id", scored_at=WHEN, backend="threading")
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        dask = score_dataset(example["bundle"], src, tmp_path / "dask", engine="dask", client=client, chunk_rows=800,
                             id_column="offer_id", scored_at=WHEN)
    # workers (processes or Dask) load the model before the clock starts, and say how they predict
    assert local["predictor"] == dask["predictor"] == "lightgbm-booster"
    assert local["load_seconds"] > 0 and dask["load_seconds"] > 0
    assert {k: local[k] for k in ("rows_in", "rows_scored", "rows_quarantined", "chunks")} == \
        {k: dask[k] for k in ("rows_in", "rows_scored", "rows_quarantined", "chunks")}
    for sub in ("scores", "quarantine"):
        names = sorted(p.name for p in (tmp_path / "local" / sub).glob("*.parquet"))
        assert names == sorted(p.name for p in (tmp_path / "dask" / sub).glob("*.parquet"))
        for n in names:
            for other in ("dask", "threads"):
                pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "local" / sub / n),
                                              pd.read_parquet(tmp_path / other / sub / n))
