"""The bundled example: a restaurant chain deciding whom to send a personalized offer.

A deterministic, seeded generator (no download). Each row is one offer sent to one customer;
`redeemed` depends on interactions (offer type x favourite daypart, channel x app use, distance
x delivery offers, recency x loyalty), so a linear model leaves value on the table. A few
missing values and a few deliberately invalid rows exercise the contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


if TYPE_CHECKING:
    import pandas as pd


# Bump when the generator's output changes, so cached ingests of the example are refreshed.
GENERATOR_VERSION = 2

REGIONS = ["north", "south", "east", "west", "central"]
TIERS = ["none", "silver", "gold", "platinum"]
CHANNELS = ["email", "app", "sms"]
OFFERS = ["bogo", "pct_off_10", "pct_off_20", "free_dessert", "free_delivery"]
DAYPARTS = ["breakfast", "lunch", "dinner", "late_night"]
DISCOUNT_SHARE = {"bogo": 0.45, "pct_off_10": 0.10, "pct_off_20": 0.20, "free_dessert": 0.12,
                  "free_delivery": 0.15}
# per-contact cost: the message itself plus the opt-outs and discount fatigue each contact risks
SEND_COST = {"email": 0.35, "app": 0.20, "sms": 0.55}


def generate(n_rows: int = 50_000, seed: int = 7, start: str = "2026-01-01", months: int = 7,
             invalid_share: float = 0.004) -> pd.DataFrame:
    """Return `n_rows` offers sent over `months` months from `start`, deterministic for a seed."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_customers = max(n_rows // 4, 10)
    cust = pd.DataFrame({
        "customer_id": [f"C{i:07d}" for i in range(n_customers)],
        "region": rng.choice(REGIONS, n_customers, p=[0.22, 0.2, 0.18, 0.25, 0.15]),
        "loyalty_tier": rng.choice(TIERS, n_customers, p=[0.5, 0.28, 0.15, 0.07]),
        "favourite_daypart": rng.choice(DAYPARTS, n_customers, p=[0.15, 0.35, 0.4, 0.1]),
        "distance_km": np.round(rng.gamma(2.0, 2.2, n_customers), 2),
        "base_visits": rng.gamma(1.6, 3.0, n_customers),
        "app_user": rng.random(n_customers) < 0.45,
    })
    first = rng.choice(["alex", "sam", "kim", "lee", "jo", "max", "ana", "li", "noa", "eli"], n_customers)
    domain = rng.choice(["example.com", "mail.test", "inbox.example"], n_customers)
    cust["email"] = [f"{f}.{i}@{d}" for i, (f, d) in enumerate(zip(first, domain, strict=True))]

    idx = rng.integers(0, n_customers, n_rows)
    df = cust.iloc[idx].reset_index(drop=True)
    start_ts = pd.Timestamp(start)
    span = (start_ts + pd.DateOffset(months=months) - start_ts).total_seconds()
    offsets = np.sort(rng.random(n_rows)) * span
    df["sent_at"] = start_ts + pd.to_timedelta(offsets, unit="s")
    month_idx = ((df["sent_at"] - start_ts).dt.days / 30.4).to_numpy()

    tier_boost = df["loyalty_tier"].map({"none": 0.0, "silver": 0.3, "gold": 0.6, "platinum": 1.0}).to_numpy()
    df["visits_90d"] = rng.poisson(df["base_visits"].to_numpy() * (1 + tier_boost)).astype("int64")
    df["avg_ticket"] = np.round(rng.lognormal(2.7, 0.35, n_rows) * (1 + 0.15 * tier_boost), 2)
    df["days_since_last_visit"] = np.minimum(rng.exponential(25 / (1 + df["visits_90d"] / 4)), 365).astype("int64")
    df["app_sessions_30d"] = np.where(df["app_user"], rng.poisson(6, n_rows), rng.poisson(0.3, n_rows)).astype("int64")
    df["channel"] = np.where(df["app_user"] & (rng.random(n_rows) < 0.6), "app",
                             rng.choice(["email", "sms"], n_rows, p=[0.8, 0.2]))
    df["offer_type"] = rng.choice(OFFERS, n_rows)

    # redemption: main effects plus interactions the model must find
    daypart_match = (
        ((df["offer_type"] == "free_dessert") & (df["favourite_daypart"] == "dinner"))
        | ((df["offer_type"] == "bogo") & (df["favourite_daypart"] == "lunch"))
        | ((df["offer_type"] == "pct_off_10") & (df["favourite_daypart"] == "breakfast"))
    ).to_numpy()
    delivery_far = ((df["offer_type"] == "free_delivery") & (df["distance_km"] > 5)).to_numpy()
    app_fit = ((df["channel"] == "app") & (df["app_sessions_30d"] > 4)).to_numpy()
    logit = (
        -2.85
        + 0.10 * np.minimum(df["visits_90d"].to_numpy(), 15)
        - 0.018 * df["days_since_last_visit"].to_numpy() * (1 - 0.5 * tier_boost)
        - 0.12 * df["distance_km"].to_numpy() * (~delivery_far)
        + 1.1 * daypart_match
        + 0.9 * delivery_far
        + 0.8 * app_fit
        + 0.5 * tier_boost
        + 0.35 * (df["offer_type"] == "pct_off_20").to_numpy()
        - 0.5 * (df["channel"] == "sms").to_numpy()
        + 0.04 * month_idx  # slow seasonal drift, so later data is a little different
    )
    p = 1 / (1 + np.exp(-logit))
    df["redeemed"] = (rng.random(n_rows) < p).astype("int64")

    df["margin_if_redeemed"] = np.round(df["avg_ticket"] * 0.38, 2)
    df["discount_cost"] = np.round(df["avg_ticket"] * df["offer_type"].map(DISCOUNT_SHARE), 2)
    df["send_cost"] = df["channel"].map(SEND_COST).astype("float64")
    df["offer_id"] = [f"O{i:08d}" for i in range(n_rows)]

    # a few missing values, as real CRM exports have
    df.loc[rng.random(n_rows) < 0.02, "avg_ticket"] = np.nan
    df.loc[rng.random(n_rows) < 0.01, "favourite_daypart"] = None
    df.loc[rng.random(n_rows) < 0.005, "app_sessions_30d"] = -1  # replaced below by NaN-safe ints
    df["app_sessions_30d"] = df["app_sessions_30d"].where(df["app_sessions_30d"] >= 0).astype("Int64")

    cols = ["offer_id", "customer_id", "email", "sent_at", "region", "loyalty_tier", "channel",
            "offer_type", "favourite_daypart", "visits_90d", "avg_ticket", "days_since_last_visit",
            "app_sessions_30d", "distance_km", "margin_if_redeemed", "discount_cost", "send_cost",
            "redeemed"]
    df = df[cols].copy()
    return _inject_invalid(df, rng, invalid_share)


def _inject_invalid(df: pd.DataFrame, rng: np.random.Generator, share: float) -> pd.DataFrame:
    """Deliberately broken rows: each kind is one a contract must catch."""
    import numpy as np

    n_bad = int(len(df) * share)
    if n_bad == 0:
        return df
    rows = rng.choice(len(df), n_bad, replace=False)
    kinds = np.arange(n_bad) % 5
    df["region"] = df["region"].astype(object)
    df["email"] = df["email"].astype(object)
    for r, k in zip(rows, kinds, strict=True):
        if k == 0:
            df.loc[r, "visits_90d"] = -3                    # negative count
        elif k == 1:
            df.loc[r, "region"] = "nrth"                    # unknown category
        elif k == 2:
            df.loc[r, "email"] = "not-an-email"             # fails the regex
        elif k == 3:
            df.loc[r, "distance_km"] = 4_000.0              # out of range
        else:
            df.loc[r, "offer_id"] = df.loc[(r + 1) % len(df), "offer_id"]  # duplicate key
    df["region"] = df["region"].astype("str")
    df["email"] = df["email"].astype("str")
    return df
