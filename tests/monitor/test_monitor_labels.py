"""Live performance when labels arrive in the user's own words: the model's encoding reads them,
the business value knows which class is positive, and unknown labels are counted, not guessed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlbp.monitor.performance import PerformanceMonitor
from mlbp.monitor.window import Window

SIG = {"task": "binary", "classes": ["good", "bad"],
       "labels": {"classes": ["good", "bad"], "positive": "bad", "rule": "the minority class (30% of rows)"}}


def _window(n: int = 600, seed: int = 2) -> Window:
    rng = np.random.default_rng(seed)
    bad = rng.random(n) < 0.3
    p = np.clip(np.where(bad, 0.7, 0.3) + rng.normal(0, 0.2, n), 0, 1)  # informative scores for 'bad'
    label = np.where(bad, "bad", "good").astype(object)
    label[:5] = "Bad!"  # a typo in the feedback
    frame = pd.DataFrame({"request_id": [f"r{i}" for i in range(n)], "time": np.arange(n, dtype=float),
                          "shadow": False, "variant": "champion", "version": "1",
                          "out.probability": p, "out.prediction": np.where(p >= 0.5, "bad", "good"),
                          "in.value": 10.0, "in.cost": 1.0, "label": label})
    return Window(frame=frame, start=0.0, end=float(n), manifest={"signature": SIG, "metrics": {"roc_auc": 0.8}},
                  profile={})


def test_performance_reads_labels_in_words():
    res = PerformanceMonitor(min_labels=100).run(_window())
    assert res["status"] == "measured" and res["current"]["roc_auc"] > 0.75
    assert res["unknown_labels"] == 5 and res["labelled_rows"] == 600
    champion = res["variants"]["champion"]
    assert 0.25 < champion["positive_rate"] < 0.35  # the share of 'bad', the positive class


def test_business_value_acts_on_the_positive_class():
    business = {"if_positive": {"add": ["value"]}, "per_action": {"subtract": ["cost"]}}
    res = PerformanceMonitor(min_labels=100, business=business).run(_window())
    w = _window().frame
    acted, bad = w["out.prediction"] == "bad", w["label"] == "bad"  # a typo'd label earns nothing
    expected = float((acted & bad).sum() * 10.0 - acted.sum() * 1.0)
    champion = res["variants"]["champion"]
    assert champion["acted_share"] == acted.mean() and abs(champion["business_value"] - expected) < 1e-9
