"""Helpers for monitor tests: synthetic prediction logs scored by a real bundle's model."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from mlbp.examples.restaurant_offers.generate import generate

from mlbp.monitor.prediction_log import PredictionLog
from mlbp.registry.bundle import load
from mlbp.stacks.predict import predict_frame


def bundle_dir(project: Path) -> Path:
    return project / ".mlbp" / "registry" / "restaurant-offers" / "v1"


def synthetic_records(bundle: Path, n: int, *, seed: int = 11, start: float | None = None, span_s: float = 3600.0,
                      drift: bool = False, latency_ms: float = 5.0, variant: str = "champion",
                      error_share: float = 0.0) -> tuple[list[dict], list[dict]]:
    """(prediction records, feedback records) for n requests scored by the real model."""
    b = load(bundle)
    sig = b.manifest["signature"]
    df = generate(n_rows=n, seed=seed, invalid_share=0.0).reset_index(drop=True)
    if drift:
        df["distance_km"] = df["distance_km"] * 3 + 5
        df["visits_90d"] = df["visits_90d"] + 20
        df["region"] = "north"
    out = predict_frame(b.model, sig, df, b.manifest.get("threshold"))
    rng = np.random.default_rng(seed)
    start = time.time() - span_s if start is None else start
    times = np.sort(start + rng.random(n) * span_s)
    lat = rng.gamma(4.0, latency_ms / 4.0, n)
    feats = sig["numeric"] + sig["categorical"] + ["email", "margin_if_redeemed", "discount_cost", "send_cost"]
    rows = df[feats].astype(object).where(df[feats].notna(), None).to_dict("records")
    prob, pred, label = out["probability"].tolist(), out["prediction"].tolist(), df["redeemed"].tolist()
    errors = rng.random(n) < error_share
    preds, feedback = [], []
    for i in range(n):
        rid = f"r{seed}-{i}"
        preds.append({"request_id": rid, "time": float(times[i]), "model": "restaurant-offers", "version": 1,
                      "variant": variant, "inputs": rows[i],
                      "outputs": {"probability": float(prob[i]), "prediction": int(pred[i])},
                      "latency_ms": float(lat[i]), "shadow": False,
                      "error": "model failed" if errors[i] else None})
        feedback.append({"request_id": rid, "time": float(times[i]) + 60, "label": int(label[i])})
    return preds, feedback


def write_log(root: Path, preds: list[dict], feedback: list[dict] | None = None) -> None:
    with PredictionLog(root, partition="hour", flush_seconds=0.2) as log:
        log.write(preds)
        if feedback:
            log.write_feedback(feedback)
