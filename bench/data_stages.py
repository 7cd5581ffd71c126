"""Cost of the data-assessment stages on the bundled example, against the whole-run budget.

    .venv/bin/python bench/data_stages.py [n_rows]

Prints seconds per step (snapshot into the lake, contract validation with quarantine and
masking, catalog profile, feasibility with learning curve and plots, a governed DuckDB query)
and the ratio of their sum to the 60 s budget for a whole default run on 2 cores.
"""

from __future__ import annotations

import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

BUDGET_S = 60.0


def main(n_rows: int = 50_000) -> None:
    import yaml
    from mlbp.examples.restaurant_offers.generate import generate

    from mlbp.contracts.spec import build_schema, classifications
    from mlbp.contracts.validate import find_failures
    from mlbp.data.assess import assess_frame
    from mlbp.data.assess_plots import plot_arrival, plot_learning_curve
    from mlbp.data.lake import write_snapshot
    from mlbp.data.lake_query import query
    from mlbp.data.profile import profile_frame
    from mlbp.governance.policy import Policy

    conf = resources.files("mlbp.examples.restaurant_offers.conf")  # the example's own overlay
    contract = yaml.safe_load((conf / "contract" / "local.yaml").read_text())
    gov = yaml.safe_load((conf / "governance" / "local.yaml").read_text())
    gov.pop("key_file")
    policy = Policy.from_spec(gov, classifications(contract["columns"]), key=b"bench-key")
    df = generate(n_rows)
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        write_snapshot(df, Path(tmp) / "lake", "offers", "sent_at", "month")
        times["lake snapshot"] = time.perf_counter() - t
        t = time.perf_counter()
        accepted, cases = find_failures(df, build_schema(contract["columns"]))
        clean, _ = policy.apply(accepted, "data-science")
        times["validate + mask"] = time.perf_counter() - t
        t = time.perf_counter()
        profile_frame(df)
        times["catalog profile"] = time.perf_counter() - t
        t = time.perf_counter()
        skip = {"redeemed", "sent_at", "offer_id", "customer_id", "email", "margin_if_redeemed", "discount_cost",
                "send_cost"}
        res = assess_frame(clean, "redeemed", "binary", "sent_at", [c for c in clean.columns if c not in skip],
                           {}, curve={})
        plot_learning_curve(res["learning_curve"], Path(tmp) / "lc.png")
        plot_arrival(res["arrival"], 10, Path(tmp) / "arr.png")
        times["assess + plots"] = time.perf_counter() - t
        t = time.perf_counter()
        table, _ = query(Path(tmp) / "lake", "SELECT region, count(*), count(DISTINCT email) FROM offers GROUP BY 1",
                         policy, "data-science")
        times["governed lake query"] = time.perf_counter() - t
    for name, s in times.items():
        print(f"{name:<22} {s:7.2f} s")
    total = sum(times.values())
    print(f"data stages total      {total:7.2f} s  for {n_rows} rows ({len(cases)} failures quarantined)")
    print(f"ratio to the {BUDGET_S:.0f} s whole-run budget: {total / BUDGET_S:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
