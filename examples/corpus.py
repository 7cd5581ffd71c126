"""A corpus of generated tables shaped like the ones users bring (issue 30): string and boolean
labels, no timestamp, text dates with zones, ids and emails, rare and 4,000-level categories, new
levels in the newest rows, all-missing and constant columns, duplicate rows, mixed types in one
column, a wide table, a tiny one, 15 classes, a target in dollars, a 2M-row table.

Each table is a seeded function of its size, so a test can check its shape small and the
benchmark (bench/corpus.py) can run it at full size. `CORPUS[name]` says the target and task a
user would pass to `mlbp init`, and the shape the table promises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Table:
    make: Callable[[int, int], pd.DataFrame]  # (rows, seed) -> frame
    target: str
    task: str
    rows: int                                  # full size
    shape: tuple[str, ...] = field(default=())  # what it stands for, checked by tests/examples/test_corpus.py


def _when(rng: np.random.Generator, n: int, days: int = 300, start: str = "2025-01-01") -> pd.DatetimeIndex:
    return pd.Timestamp(start) + pd.to_timedelta(np.sort(rng.random(n)) * days, unit="D")


def _binary(rng: np.random.Generator, logit: np.ndarray) -> np.ndarray:
    return rng.random(len(logit)) < 1 / (1 + np.exp(-logit))


def bool_label_no_time(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    usage, tenure = rng.gamma(2, 10, n), rng.integers(1, 60, n)
    return pd.DataFrame({"account_id": [f"A{i:07d}" for i in rng.permutation(n)],
                         "email": [f"user{i}@mail.example.com" for i in range(n)],
                         "usage_hours": usage.round(1), "tenure_months": tenure,
                         "plan": rng.choice(["free", "team", "business"], n),
                         "churned": _binary(rng, 1.0 - 0.08 * usage + 0.02 * (60 - tenure) - 1.0)})


def string_labels_zoned_dates(n: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    when = _when(rng, n).tz_localize("UTC").tz_convert("America/New_York")
    income, debt = rng.lognormal(10.8, 0.4, n), rng.uniform(0, 0.8, n)
    return pd.DataFrame({"applied_at": when.strftime("%Y-%m-%d %H:%M:%S%z"),
                         "income": income.round(0), "debt_ratio": debt.round(3),
                         "employment": rng.choice(["salaried", "self-employed", "retired", "student"], n),
                         "decision": np.where(_binary(rng, 2.5 - 5 * debt + (income > 60000)), "approved",
                                              "declined")})


def high_cardinality_new_levels(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    when = _when(rng, n)
    weights = 1.0 / np.arange(1, 4001) ** 0.8
    merchant = rng.choice([f"m-{i:04d}" for i in range(4000)], n, p=weights / weights.sum()).astype(object)
    newest = np.asarray(when >= when.max() - pd.Timedelta(days=30)) & (rng.random(n) < 0.2)
    merchant[newest] = [f"new-m-{i % 50}" for i in range(int(newest.sum()))]
    amount = rng.gamma(2, 40, n)
    country = rng.choice(["DE", "FR", "NL", "BE", "LU"], n, p=[0.5, 0.3, 0.15, 0.049, 0.001])  # a rare level
    return pd.DataFrame({"paid_on": when.strftime("%Y-%m-%d"), "merchant": merchant, "amount": amount.round(2),
                         "country": country,
                         "fraud": np.where(_binary(rng, -3 + 0.01 * amount + (country == "LU") * 2), "yes", "no")})


def missing_constant_duplicates(n: int, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    df = pd.DataFrame({"created": _when(rng, n).strftime("%Y-%m-%d"), "signal": x.round(4),
                       "noise": rng.normal(size=n).round(4), "never_filled": np.full(n, np.nan),
                       "source_system": "crm", "segment": rng.choice(["a", "b", "c"], n),
                       "converted": _binary(rng, 1.5 * x - 1).astype(int)})
    dup = rng.choice(n, size=max(1, n // 20), replace=False)
    return pd.concat([df, df.iloc[dup]]).sort_values("created", kind="stable").reset_index(drop=True)


def mixed_types(n: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n).astype(object)
    age[rng.random(n) < 0.01] = "unknown"  # a few words in a numeric column
    visits = rng.poisson(3, n)
    smoker = rng.choice(["yes", "no"], n, p=[0.2, 0.8])
    return pd.DataFrame({"visit_date": _when(rng, n).strftime("%d/%m/%Y"), "age": age, "visits": visits,
                         "smoker": smoker, "bmi": rng.normal(27, 4, n).round(1),
                         "readmitted": np.where(_binary(rng, -2 + 0.3 * visits + (smoker == "yes")), "Y", "N")})


def wide(n: int, seed: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 296)).round(4)
    df = pd.DataFrame(X, columns=[f"sensor_{i:03d}" for i in range(296)])
    df.insert(0, "measured_on", _when(rng, n).strftime("%Y-%m-%d"))
    df["line"] = rng.choice(["L1", "L2", "L3"], n)
    df["shift"] = rng.choice(["early", "late", "night"], n)
    df["defect"] = np.where(_binary(rng, -1.5 + X[:, 0] + 0.5 * X[:, 7] - 0.5 * X[:, 42]), "defect", "ok")
    return df


def tiny(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dose = rng.uniform(0, 10, n)
    return pd.DataFrame({"patient": [f"P{i:04d}" for i in range(n)], "dose_mg": dose.round(2),
                         "weight_kg": rng.normal(75, 12, n).round(1), "arm": rng.choice(["control", "treated"], n),
                         "responded": np.where(_binary(rng, -2 + 0.45 * dose), "responder", "non-responder")})


def fifteen_classes(n: int, seed: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    classes = [f"category {c}" for c in "ABCDEFGHIJKLMNO"]
    f = rng.normal(size=(n, 6))
    weights = rng.normal(size=(6, 15)) * 1.2  # symmetric: every class gets a fair share of rows
    logits = f @ weights + rng.gumbel(size=(n, 15))
    return pd.DataFrame({"filed_on": _when(rng, n).strftime("%Y-%m-%d"),
                         **{f"feature_{i}": f[:, i].round(4) for i in range(6)},
                         "region": rng.choice(["north", "south"], n),
                         "label": np.array(classes)[logits.argmax(axis=1)]})


def dollars_regression(n: int, seed: int = 9) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seats, months = rng.integers(1, 500, n), rng.integers(1, 36, n)
    tier = rng.choice(["starter", "growth", "enterprise"], n, p=[0.6, 0.3, 0.1])
    value = seats * np.select([tier == "starter", tier == "growth"], [12.0, 29.0], 79.0) * months
    return pd.DataFrame({"deal_id": [f"D-{i:06d}" for i in range(n)], "closed_on": _when(rng, n).strftime("%Y-%m-%d"),
                         "seats": seats, "contract_months": months, "tier": tier,
                         "rep_email": [f"rep{i % 25}@sales.example" for i in range(n)],
                         "contract_value_usd": np.round(value * rng.lognormal(0, 0.25, n), 2)})


def epoch_phone_zip(n: int, seed: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    created = (_when(rng, n).astype("int64") // 10**9).astype("int64")
    wait = rng.gamma(2, 5, n)
    return pd.DataFrame({"created_at": created, "phone": [f"+1 (555) {rng.integers(100, 999)}-{i % 10000:04d}"
                                                          for i in range(n)],
                         "zip": rng.choice(["02139", "10001", "94105", "60601"], n),
                         "wait_minutes": wait.round(1), "channel": rng.choice(["phone", "chat"], n),
                         "resolved_first_contact": _binary(rng, 1.5 - 0.1 * wait)})


def repeated_ids_no_time(n: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    customers = max(2, n // 4)
    cust = rng.integers(0, customers, n)
    habit = rng.normal(size=customers)[cust]  # some customers return more: what a group split keeps honest
    spend, items, coupon = rng.gamma(2, 30, n), rng.integers(1, 12, n), rng.random(n) < 0.3
    logit = -1.5 + 0.02 * (spend - 60) + 0.2 * (items - 6) - 0.8 * coupon + 0.7 * habit
    return pd.DataFrame({"customer_id": [f"C{c:06d}" for c in cust], "basket_eur": spend.round(2),
                         "items": items, "coupon": coupon,
                         "returned": np.where(_binary(rng, logit), "returned", "kept")})


def two_million(n: int, seed: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n).astype("float32"), rng.normal(size=n).astype("float32")
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.integers(0, 365, n)), unit="D")
    return pd.DataFrame({"event_day": day.strftime("%Y-%m-%d"), "x1": x1.round(3), "x2": x2.round(3),
                         "device": rng.choice(["ios", "android", "web"], n),
                         "clicked": _binary(rng, -2 + x1 - 0.5 * x2).astype("int64")})


CORPUS: dict[str, Table] = {
    "bool_label_no_time": Table(bool_label_no_time, "churned", "binary", 6000,
                                ("boolean label", "no timestamp", "ids", "emails")),
    "string_labels_zoned_dates": Table(string_labels_zoned_dates, "decision", "binary", 6000,
                                       ("string labels", "text dates with zones")),
    "high_cardinality_new_levels": Table(high_cardinality_new_levels, "fraud", "binary", 30000,
                                         ("4,000-level category", "new levels in the newest rows", "rare level")),
    "missing_constant_duplicates": Table(missing_constant_duplicates, "converted", "binary", 6000,
                                         ("all-missing column", "constant column", "duplicate rows")),
    "mixed_types": Table(mixed_types, "readmitted", "binary", 6000,
                         ("mixed types in one column", "European dates", "yes/no text")),
    "wide": Table(wide, "defect", "binary", 5000, ("300 columns",)),
    "tiny": Table(tiny, "responded", "binary", 300, ("300 rows", "no timestamp")),
    "fifteen_classes": Table(fifteen_classes, "label", "multiclass", 9000, ("15 classes", "string labels")),
    "dollars_regression": Table(dollars_regression, "contract_value_usd", "regression", 6000,
                                ("regression target in dollars", "emails")),
    "epoch_phone_zip": Table(epoch_phone_zip, "resolved_first_contact", "binary", 6000,
                             ("epoch seconds", "phone numbers", "postal codes", "boolean label")),
    "repeated_ids_no_time": Table(repeated_ids_no_time, "returned", "binary", 6000,
                                  ("repeated customer ids", "no timestamp")),
    "two_million": Table(two_million, "clicked", "binary", 2_000_000, ("2M rows",)),
}


# the six real public tables beside the repository (../shared/data/real, its README): file, target
REAL_TABLES = [("attrition.csv", "Attrition"), ("ames.parquet", "Sale_Price"), ("hpc_data.csv", "class"),
               ("stackoverflow.parquet", "Remote"), ("taxi.csv", "tip"), ("chicago.csv", "ridership")]


def make(name: str, rows: int | None = None, seed: int | None = None) -> pd.DataFrame:
    """Corpus table `name` at `rows` (default: its full size)."""
    t = CORPUS[name]
    kwargs: dict[str, Any] = {} if seed is None else {"seed": seed}
    return t.make(rows or t.rows, **kwargs)
