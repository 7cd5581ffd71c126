"""Small datasets for the stack tests: the bundled example, generated (no download)."""

from __future__ import annotations

import pandas as pd
import pytest
from mlbp.examples.restaurant_offers.generate import generate

EXCLUDE = ["offer_id", "customer_id", "email", "margin_if_redeemed", "discount_cost", "send_cost"]
BUSINESS = {"if_positive": {"add": ["margin_if_redeemed"], "subtract": ["discount_cost"]},
            "per_action": {"subtract": ["send_cost"]}}

# task -> (target column, extra excluded columns)
TASK_TARGETS = {"binary": ("redeemed", []), "multiclass": ("distance_band", ["distance_km"]),
                "regression": ("ticket", ["avg_ticket"])}


@pytest.fixture(scope="session")
def small_frame() -> pd.DataFrame:
    """1,500 example rows with a multiclass target (distance band) and a regression target (ticket)."""
    df = generate(1500, seed=3)
    df["distance_band"] = pd.cut(df["distance_km"], [-1, 2, 5, 1e9], labels=False).astype("int64")
    df["ticket"] = df["avg_ticket"].fillna(df["avg_ticket"].median()).astype(float)
    return df


@pytest.fixture(scope="session")
def exclude() -> list[str]:
    return list(EXCLUDE)


@pytest.fixture(scope="session")
def task_targets() -> dict[str, tuple[str, list[str]]]:
    return dict(TASK_TARGETS)


@pytest.fixture(scope="session")
def business() -> dict:
    return dict(BUSINESS)
