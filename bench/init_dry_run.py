"""How long `mlbp init ... +dry_run=true` takes on a big file, against the 10 s limit.

    .venv/bin/python bench/init_dry_run.py            # 1,000,000 rows (CSV and Parquet)
    .venv/bin/python bench/init_dry_run.py --quick    # 100,000 rows

The table has every kind of column init must recognise (keys, a repeated customer id, email,
phone, names, postal codes, dates as text with zones, epoch seconds, codes, numbers, booleans,
categories, a constant, a leak). The time is the whole command as a user runs it: Python start,
Hydra, reading the file, profiling every column and printing the decisions.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_S = 10.0


def table(n: int, seed: int = 3):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    when = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.sort(rng.random(n)) * 400, unit="D")
    y = rng.random(n) < 0.2
    first = np.array(["Ana", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima"])
    last = np.array(["Smith", "Okafor", "Müller", "Tanaka", "Silva"])
    return pd.DataFrame({
        "order_no": np.arange(n),
        "customer_id": pd.Series(rng.integers(0, n // 5, n)).map("C{:07d}".format),
        "email": pd.Series(np.arange(n)).map("user{}@mail.example.org".format),
        "phone": pd.Series(rng.integers(1_000_000, 9_999_999, n)).map("+44 20 {}".format),
        "customer_name": pd.Series(first[rng.integers(0, 6, n)]) + " " + last[rng.integers(0, 5, n)],
        "zip": rng.choice(["10115", "80331", "20095"], n),
        "placed": when.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "created_at": (when.astype("int64") // 10**9).astype("int64"),
        "store_code": rng.choice([101, 202, 303], n),
        "basket": rng.gamma(2.0, 20.0, n).round(2),
        "express": rng.random(n) < 0.2,
        "channel": rng.choice(["web", "app", "phone"], n),
        "country": "DE",
        "refund_amount": np.where(y, 10.0, 0.0),
        "returned": np.where(y, "yes", "no"),
    })


def main() -> None:
    n = 100_000 if "--quick" in sys.argv else 1_000_000
    mlbp = str(Path(sys.executable).parent / "mlbp")
    with tempfile.TemporaryDirectory() as tmp:
        df = table(n)
        paths = {"csv": Path(tmp) / "orders.csv", "parquet": Path(tmp) / "orders.parquet"}
        df.to_csv(paths["csv"], index=False)
        df.to_parquet(paths["parquet"], index=False)
        for kind, path in paths.items():
            t0 = time.perf_counter()
            out = subprocess.run([mlbp, "init", "proj", str(path), "target=returned", "+dry_run=true"], cwd=tmp,
                                 capture_output=True, text=True, check=True)
            seconds = time.perf_counter() - t0
            assert "dry run: nothing written" in out.stdout and not (Path(tmp) / "proj").exists()
            print(f"init dry run, {n:,} rows x {df.shape[1]} columns, {kind}: {seconds:.1f} s "
                  f"(limit {LIMIT_S:.0f} s, ratio {seconds / LIMIT_S:.2f})")


if __name__ == "__main__":
    main()
