"""Ticket routing: which department should take a support ticket (multiclass, string labels).
Generated, seeded, shaped like a help-desk export: a ticket reference, an opening time written
with a UTC offset, a rare language, booleans, a long tail of products.

    python examples/ticket_routing/generate.py   # rewrites data/tickets.csv (same bytes every time)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DEPARTMENTS = ["billing", "technical", "sales", "account", "returns"]


def generate(n: int = 7000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2025-01-06", tz="Europe/Berlin") + pd.to_timedelta(np.sort(rng.random(n)) * 240, unit="D")
    channel = rng.choice(["email", "chat", "phone", "web form"], n, p=[0.4, 0.3, 0.2, 0.1])
    tier = rng.choice(["free", "pro", "enterprise"], n, p=[0.6, 0.3, 0.1])
    products = [f"product {c}" for c in "ABCDEFGHIJ"]
    product = rng.choice(products, n, p=np.r_[0.3, 0.2, 0.15, 0.1, 0.08, 0.06, 0.05, 0.03, 0.02, 0.01])
    attachment = rng.random(n) < 0.3
    prior = rng.poisson(np.where(tier == "enterprise", 4, 1.2))
    words = rng.integers(2, 25, n)
    language = rng.choice(["en", "de", "fr", "es", "pt"], n, p=[0.55, 0.25, 0.1, 0.08, 0.02])
    logits = np.column_stack([
        0.8 * (tier == "free") + 0.6 * (channel == "email") + 0.2 * prior,                 # billing
        1.0 * attachment + 0.9 * np.isin(product, products[:3]) + 0.05 * words,           # technical
        1.2 * (tier == "free") * (channel == "web form") + 0.5 * (prior == 0),            # sales
        0.9 * (tier == "enterprise") + 0.4 * (channel == "phone"),                        # account
        1.1 * np.isin(product, products[5:]) + 0.5 * (channel == "chat"),                 # returns
    ]) * 1.5 + rng.gumbel(size=(n, 5)) * 0.8
    return pd.DataFrame({
        "ticket_ref": [f"TCK-{i:07d}" for i in rng.permutation(n)],
        "opened_at": opened.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "channel": channel,
        "customer_tier": tier,
        "product": product,
        "subject_words": words,
        "has_attachment": attachment,
        "prior_tickets": prior,
        "language": language,
        "department": np.array(DEPARTMENTS)[logits.argmax(axis=1)],
    })


if __name__ == "__main__":
    out = Path(__file__).parent / "data" / "tickets.csv"
    generate().to_csv(out, index=False)
    print(f"wrote {out}")
