"""Tables shaped like a user's, not like the bundled example: other names, text keys, dates as
text, a bool, an email. Shared by the tests that run `mlbp init` on them."""

from __future__ import annotations

import numpy as np
import pandas as pd


def tickets(n: int = 2500, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2026-02-01") + pd.to_timedelta(np.sort(rng.random(n)) * 150, unit="D")
    priority = rng.integers(1, 5, n)
    vip = rng.random(n) < 0.2
    area = rng.choice(["billing", "login", "shipping", "returns"], n)
    wait = np.round(rng.gamma(2.0, 6.0, n), 1)
    hours = 2 + 3 * priority + 6 * vip + 0.4 * wait + (area == "returns") * 5 + rng.normal(0, 2, n)
    df = pd.DataFrame({
        "ticket_ref": [f"TK-{i:06d}" for i in range(n)],
        "opened_on": opened.strftime("%Y-%m-%d %H:%M"),
        "channel_kind": rng.choice(["phone", "chat", "web"], n),
        "agent_email": [f"agent{i % 40}@help.example" for i in range(n)],
        "priority_level": priority,
        "wait_minutes": np.where(rng.random(n) < 0.03, np.nan, wait),
        "is_vip": vip,
        "product_area": area,
        "escalated": (hours + rng.normal(0, 3, n) > 20).astype("int64"),
        "resolution_hours": np.round(hours, 2),
    })
    return df


def shops(n: int = 8000, levels: int = 4000, new_levels: int = 60, seed: int = 5) -> pd.DataFrame:
    """Orders from a 4,000-level `shop` column (a few big shops, thousands seen a handful of times),
    and shops that opened in the newest month, so the holdout holds levels training never saw."""
    rng = np.random.default_rng(seed)
    placed = pd.Timestamp("2025-06-01") + pd.to_timedelta(np.sort(rng.random(n)) * 330, unit="D")
    weights = 1.0 / np.arange(1, levels + 1) ** 1.05
    shop = rng.choice([f"shop-{i:04d}" for i in range(levels)], size=n, p=weights / weights.sum()).astype(object)
    newest = np.asarray(placed >= placed.max() - pd.Timedelta(days=30))
    fresh = newest & (rng.random(n) < 0.25)
    shop[fresh] = rng.choice([f"new-shop-{i:03d}" for i in range(new_levels)], size=int(fresh.sum()))
    basket = np.round(rng.gamma(2.0, 25.0, n), 2)
    big = np.isin(shop, ["shop-0000", "shop-0001", "shop-0003"])
    p = 1 / (1 + np.exp(-(-1.6 + 1.2 * big + 0.01 * (basket - 50))))
    return pd.DataFrame({
        "order_ref": [f"OR-{i:07d}" for i in range(n)],
        "placed_on": placed.strftime("%Y-%m-%d"),
        "shop": shop,
        "basket_value": basket,
        "region": rng.choice(["north", "south", "east", "west"], n),
        "returned": np.where(rng.random(n) < p, "yes", "no"),
    })
