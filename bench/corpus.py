"""Every corpus table (mlbp.examples.corpus) and the six real ones through `mlbp init`, the
default pipeline, `mlbp serve` (a few requests), `mlbp score` and `mlbp monitor`, as a user runs
them (mlbp.examples.acceptance), beside a plain baseline on the same split, so quality is shown,
not assumed.

    .venv/bin/python bench/corpus.py             # every table at full size, real ones included
    .venv/bin/python bench/corpus.py --quick     # corpus tables at 3,000 rows (tiny stays 300), no 2M, no real
    .venv/bin/python bench/corpus.py --tables tiny,wide --keep /tmp/corpus   # keep the projects

Per table: each step's pass/fail and seconds, holdout rows, rows served and refused, scored and
quarantined, drifting columns, mlbp's primary metric, a baseline's
(LightGBM with default settings fitted directly on mlbp's own train/holdout split and features),
and the verdict: mlbp no worse than the baseline by more than max(0.02, 2 CV standard deviations)
(for error metrics, 5% relative). The real tables are read from ../shared/data/real
(MLBP_REAL_TABLES overrides).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from pathlib import Path

from mlbp.examples.acceptance import STEPS, accepted, through_every_step
from mlbp.examples.corpus import CORPUS, REAL_TABLES, make

REPO = Path(__file__).resolve().parents[1]
REAL = Path(os.environ.get("MLBP_REAL_TABLES", REPO.parent / "shared" / "data" / "real"))


def run_table(folder: Path, name: str, path: Path, target: str) -> dict:
    row = through_every_step(folder, name, path, target)
    return {k: v for k, v in row.items() if not k.startswith("_")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3,000 rows per table, no 2M table, no real tables")
    parser.add_argument("--tables", help="comma-separated table names (real ones as real_<file stem>)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (projects, runs, logs)")
    args = parser.parse_args()
    wanted = set(args.tables.split(",")) if args.tables else None
    rows = []
    with contextlib.ExitStack() as stack:
        folder = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        folder.mkdir(parents=True, exist_ok=True)
        for name, t in CORPUS.items():
            if (wanted and name not in wanted) or (args.quick and t.rows > 100_000):
                continue
            path = folder / f"{name}.csv"
            make(name, rows=min(t.rows, 3000) if args.quick else None).to_csv(path, index=False)
            rows.append(run_table(folder, name, path, t.target))
            print(_line(rows[-1]), flush=True)
        if not args.quick and REAL.is_dir():
            for file, target in REAL_TABLES:
                name = "real_" + file.split(".")[0]
                if wanted and name not in wanted:
                    continue
                rows.append(run_table(folder, name, REAL / file, target))
                print(_line(rows[-1]), flush=True)
    print()
    print(table(rows))


def table(rows: list[dict]) -> str:
    """The markdown table docs/corpus.md shows: each step's verdict and seconds, then quality."""
    head = ["table", *(f"{s} (s)" for s in STEPS), "holdout rows", "served / refused", "scored / quarantined",
            "drifted", "metric", "mlbp", "baseline", "vs baseline"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        steps = [f"{r[s]} ({r[s + '_s']:.1f})" if s in r else "-" for s in STEPS]
        lines.append("| " + " | ".join([
            r["table"], *steps, str(r.get("holdout", "-")), f"{r.get('served', '-')} / {r.get('refused', '-')}",
            f"{r.get('scored', '-')} / {r.get('quarantined', '-')}", str(r.get("drifted", "-")),
            str(r.get("metric", "-")), _num(r.get("mlbp")), _num(r.get("baseline")),
            " ".join((r.get("error") or r.get("vs_baseline") or "-").split()).replace("|", "/")[:120]]) + " |")
    ok = sum(accepted(r) for r in rows)
    lines.append(f"\n{ok} of {len(rows)} tables pass every step and match the baseline")
    return "\n".join(lines)


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.4g}"


def _line(r: dict) -> str:
    return " ".join(f"{k}={_num(v) if isinstance(v, float) else v}" for k, v in r.items())


if __name__ == "__main__":
    main()
