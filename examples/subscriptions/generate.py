"""Subscriptions: will a customer renew (binary, labels "yes"/"no")? Generated, seeded, shaped
like a billing export with no timestamp at all and several rows per customer (one per contract),
so `mlbp init` chooses the group split: a customer's rows never straddle training and holdout.

    python examples/subscriptions/generate.py    # rewrites data/subscriptions.csv (same bytes every time)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def generate(customers: int = 1100, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows_per = rng.integers(1, 8, customers)
    cust = np.repeat(np.arange(customers), rows_per)
    n = len(cust)
    loyalty = rng.normal(0, 1, customers)[cust]  # what a customer's rows share
    plan = rng.choice(["basic", "plus", "premium"], n, p=[0.5, 0.35, 0.15])
    fee = np.round(np.select([plan == "basic", plan == "plus"], [9.0, 19.0], 39.0) * rng.uniform(0.9, 1.1, n), 2)
    seats = rng.integers(1, 30, n)
    calls = rng.poisson(1.5, n)
    pay = rng.choice(["card", "invoice", "paypal"], n, p=[0.6, 0.25, 0.15])
    discount = np.where(rng.random(n) < 0.4, np.nan, np.round(rng.uniform(0, 30, n), 1))
    region = rng.choice(["north", "south", "east", "west", "central", "islands"], n,
                        p=[0.25, 0.25, 0.2, 0.15, 0.13, 0.02])
    logit = (0.9 + 0.8 * loyalty - 0.7 * calls + 0.04 * seats + 0.8 * (pay == "invoice")
             - 0.8 * (plan == "premium") + 0.04 * np.nan_to_num(discount))
    renewed = rng.random(n) < 1 / (1 + np.exp(-logit))
    order = rng.permutation(n)
    return pd.DataFrame({
        "customer_id": [f"CUST-{c:05d}" for c in cust[order]],
        "plan": plan[order], "monthly_fee": fee[order], "seats": seats[order],
        "support_calls": calls[order], "payment_method": pay[order], "discount_pct": discount[order],
        "region": region[order], "renewed": np.where(renewed[order], "yes", "no"),
    })


if __name__ == "__main__":
    out = Path(__file__).parent / "data" / "subscriptions.csv"
    generate().to_csv(out, index=False)
    print(f"wrote {out}")
