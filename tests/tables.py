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
