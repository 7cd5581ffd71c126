"""Column roles, one rule at a time, on generated columns shaped like real ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlbp.data.roles import assign_roles

N = 3000
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Gustav", "Hana", "Ivan", "Jonas"]
LAST = ["Smith", "Okafor", "Müller", "Tanaka", "Silva", "Novak", "O'Brien", "Larsen"]


def table(seed: int = 21) -> pd.DataFrame:
    """The same table on every call (its own generator)."""
    rng = np.random.default_rng(seed)
    when = pd.Timestamp("2025-01-01") + pd.to_timedelta(np.sort(rng.random(N)) * 400, unit="D")
    y = rng.random(N) < 0.3
    customers = rng.integers(0, 600, N)
    return pd.DataFrame({
        "order_no": np.arange(100_000, 100_000 + N),                       # int key
        "order_uuid": [f"{i:08x}-4c1e-9a7d" for i in rng.permutation(N)],  # text key
        "customer_id": [f"C{c:05d}" for c in customers],                     # a key that repeats
        "email": [f"user{i}@mail.example.org" for i in range(N)],
        "phone": [f"+44 20 7{rng.integers(100, 999)} {rng.integers(1000, 9999)}" for _ in range(N)],
        "customer_name": [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(N)],
        "zip": rng.choice(["10115", "80331", "20095", "50667"], N),
        "placed_iso_zone": [t.tz_localize("Europe/Berlin", ambiguous=True, nonexistent="shift_forward").isoformat()
                            for t in when],
        "placed_us": when.strftime("%m/%d/%Y"),
        "placed_eu": when.strftime("%d.%m.%Y %H:%M"),
        "placed_words": when.strftime("%b %d, %Y"),
        "placed_utc": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "created_at": (when.astype("int64") // 10**9).astype("int64"),      # epoch seconds
        "store_code": rng.choice([101, 202, 303, 404], N),                   # numeric codes: categories
        "basket_eur": rng.gamma(2.0, 20.0, N).round(2),
        "items": rng.integers(1, 9, N),
        "express": rng.random(N) < 0.2,
        "channel": rng.choice(["web", "app", "phone"], N),
        "country": "DE",                                                     # constant
        "coupon": np.nan,                                                    # empty
        "refund_amount": np.where(y, rng.gamma(2.0, 10.0, N), 0.0).round(2),  # recorded after the outcome
        "return_score": np.where(y, 1.0, 0.0) + rng.normal(0, 0.01, N),       # predicts it perfectly
        "returned": np.where(y, "yes", "no"),
    })


@pytest.fixture(scope="module")
def roles() -> dict:
    return {r.column: r for r in assign_roles(table(), "returned", "binary")}


@pytest.mark.parametrize(("column", "role", "detail"), [
    ("returned", "target", ""),
    ("order_no", "id", ""), ("order_uuid", "id", ""),
    ("email", "personal", "email"), ("phone", "personal", "phone"), ("customer_name", "personal", "name"),
    ("zip", "personal", "postal"),
    ("placed_iso_zone", "time", ""), ("placed_us", "time", ""), ("placed_eu", "time", ""),
    ("placed_words", "time", ""), ("placed_utc", "time", ""), ("created_at", "time", ""),
    ("country", "constant", ""), ("coupon", "constant", ""),
    ("refund_amount", "leak", ""), ("return_score", "leak", ""),
    ("store_code", "feature", "categorical"), ("basket_eur", "feature", "numeric"),
    ("items", "feature", "numeric"), ("express", "feature", "boolean"), ("channel", "feature", "categorical"),
])
def test_each_column_gets_its_role_with_a_reason(roles, column, role, detail):
    r = roles[column]
    assert (r.role, r.kind if detail else "") == (role, detail), r
    assert r.reason


def test_an_id_that_repeats_is_marked(roles):
    r = roles["customer_id"]
    assert r.role == "id" and r.repeats and "belong together" in r.reason
    assert not roles["order_no"].repeats


def test_roles_given_on_the_command_line_win():
    got = {r.column: r for r in assign_roles(table(), "returned", "binary",
                                             {"feature": ["refund_amount"], "id": ["channel"]})}
    assert got["refund_amount"].role == "feature" and "roles.feature" in got["refund_amount"].reason
    assert got["channel"].role == "id"


def test_a_high_cardinality_column_is_not_a_leak_by_memorising():
    rng = np.random.default_rng(5)
    y = np.where(rng.random(4000) < 0.3, "yes", "no")
    df = pd.DataFrame({"shop": [f"k{i}" for i in rng.integers(0, 1500, 4000)], "y": y})  # 1,500 levels, no signal
    got = {r.column: r for r in assign_roles(df, "y", "binary")}
    assert got["shop"].role == "feature"
