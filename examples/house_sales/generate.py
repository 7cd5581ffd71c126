"""House sales: predict the sale price in dollars (regression). Generated, seeded, shaped like a
real listings export: a text date, a listing id, an agent's email, rare neighbourhoods, missing
lot sizes, booleans written as True/False.

    python examples/house_sales/generate.py      # rewrites data/house_sales.csv (same bytes every time)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def generate(n: int = 4000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hoods = [f"{a} {b}" for a in ("North", "South", "East", "West", "Old", "New") for b in ("Park", "Hill", "Side",
                                                                                             "Harbour", "Green")]
    weights = 1.0 / np.arange(1, len(hoods) + 1)
    hood = rng.choice(hoods, n, p=weights / weights.sum())
    premium = {h: rng.normal(0, 0.18) for h in hoods}
    kind = rng.choice(["house", "condo", "townhouse"], n, p=[0.55, 0.3, 0.15])
    beds = np.clip(rng.poisson(np.where(kind == "condo", 1.8, 3.2)), 1, 7)
    sqft = np.round(rng.normal(480 + 420 * beds, 160).clip(350, 6000)).astype(int)
    lot = np.where(kind == "condo", np.nan, np.round(rng.gamma(3.0, 1500, n))).astype(float)
    lot[rng.random(n) < 0.08] = np.nan
    built = rng.integers(1925, 2024, n)
    garage = rng.random(n) < np.where(kind == "condo", 0.25, 0.7)
    sold = pd.Timestamp("2023-01-01") + pd.to_timedelta(np.sort(rng.random(n)) * 730, unit="D")
    months = (sold - sold.min()).days / 30.4
    log_price = (11.2 + 0.00042 * sqft + 0.05 * beds + np.array([premium[h] for h in hood])
                 + 0.08 * garage - 0.0015 * (2024 - built) + 0.004 * months
                 + np.where(kind == "condo", -0.12, 0.0) + rng.normal(0, 0.12, n))
    return pd.DataFrame({
        "listing_id": [f"L-{i:06d}" for i in rng.permutation(n)],
        "sold_on": sold.strftime("%Y-%m-%d"),
        "neighbourhood": hood,
        "property_type": kind,
        "bedrooms": beds,
        "living_sqft": sqft,
        "lot_sqft": lot,
        "year_built": built,
        "has_garage": garage,
        "agent_email": [f"agent{k}@realty.example" for k in rng.integers(0, 60, n)],
        "sale_price": np.round(np.exp(log_price), -2),
    })


if __name__ == "__main__":
    out = Path(__file__).parent / "data" / "house_sales.csv"
    generate().to_csv(out, index=False)
    print(f"wrote {out}")
