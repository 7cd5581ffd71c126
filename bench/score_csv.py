"""`mlbp score` on a CSV: the shared text layer (mlbp.io.text_table: sniffing, exact line numbers
for unparseable lines) against the reader it replaced (a pyarrow CSV dataset, every column as
text), measured side by side in one run on the same file, same bundle, same engine.

Target: rows/s with the text layer >= 0.9x the old reader's.

    python bench/score_csv.py                      # packages the example first
    python bench/score_csv.py --bundle PATH --rows 1000000 --quick
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def old_open_dataset(spec: Any, lake: Any = None, dictionary_columns: Any = ()) -> Any:
    """The CSV reader `mlbp score` used before the text layer (Parquet goes the same way as now)."""
    import pyarrow as pa
    import pyarrow.csv as pc
    import pyarrow.dataset as ds

    path = Path(spec)
    names = ds.dataset(path, format="csv").schema.names
    opts = ds.CsvFileFormat(convert_options=pc.ConvertOptions(column_types={n: pa.string() for n in names},
                                                              strings_can_be_null=True))
    return ds.dataset(path, format=opts)


def make_csv(bundle: Path, n: int, path: Path) -> None:
    import numpy as np
    import pandas as pd

    golden = pd.read_parquet(bundle / "golden.parquet")
    rows = golden.drop(columns=[c for c in golden.columns if c.startswith("expected_")])
    idx = np.random.default_rng(0).integers(0, len(rows), n)
    rows.iloc[idx].to_csv(path, index=False)


def score_once(bundle: Path, src: Path, out: Path, reader: str) -> float:
    from mlbp.deploy.batch import source
    from mlbp.deploy.batch.score import score_dataset

    current = source.open_dataset
    if reader == "old":
        source.open_dataset = old_open_dataset
    try:
        summary = score_dataset(bundle, src, out, n_jobs=2, chunk_rows=200_000)
    finally:
        source.open_dataset = current
    assert summary["rows_in"] == summary["rows_scored"] + summary["rows_quarantined"]
    return summary["rows_in"] / summary["seconds"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="100,000 rows, 2 rounds")
    a = ap.parse_args()
    rows, repeat = (100_000, 2) if a.quick else (a.rows, a.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if a.bundle:
            bundle = Path(a.bundle)
        else:
            from score import package_example

            (work / "project").mkdir()
            bundle = package_example(work / "project")
        src = work / "rows.csv"
        make_csv(bundle, rows, src)
        rates: dict[str, list[float]] = {"old": [], "text layer": []}
        for r in range(repeat):  # interleaved: a noisy neighbour hits both alike
            for reader in rates:
                rates[reader].append(score_once(bundle, src, work / f"out-{reader}-{r}".replace(" ", "_"),
                                                "old" if reader == "old" else "new"))
        med = {k: statistics.median(v) for k, v in rates.items()}
        print(f"{rows:,} CSV rows, {src.stat().st_size / 1e6:.0f} MB, median of {repeat}:")
        for k, v in med.items():
            print(f"  {k:<11} {v:>12,.0f} rows/s")
        ratio = med["text layer"] / med["old"]
        print(f"ratio text layer / old reader: {ratio:.2f} (target >= 0.90): {'PASS' if ratio >= 0.9 else 'FAIL'}")
    return 0


if __name__ == "__main__":
    t0 = time.time()
    code = main()
    print(f"({time.time() - t0:.0f} s)")
    raise SystemExit(code)
