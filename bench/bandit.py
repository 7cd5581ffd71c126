"""Thompson-sampling traffic vs a fixed 50/50 split: two variants converting at 10% and 12%.

    .venv/bin/python bench/bandit.py              # 50,000 requests, 20 seeds
    .venv/bin/python bench/bandit.py --requests 200000 --seeds 5

Prints the share of traffic the better variant received and the regret (expected conversions
lost vs always serving the better variant) of the bandit and of the fixed split, side by side.
Feedback arrives with a delay (rewards are applied in batches), as it does from a real server.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from mlbp.monitor.traffic import FixedSplit, ThompsonRouter

RATES = {"champion": 0.10, "challenger": 0.12}


def simulate(router, n: int, seed: int, delay: int) -> tuple[float, float]:
    """(share served by the better variant, regret in expected conversions)."""
    rng = random.Random(seed)
    best = max(RATES, key=RATES.__getitem__)
    pending: list[tuple[str, float]] = []
    better, regret = 0, 0.0
    for i in range(n):
        v, _ = router.choose(None)
        better += v == best
        regret += RATES[best] - RATES[v]
        pending.append((v, 1.0 if rng.random() < RATES[v] else 0.0))
        if len(pending) >= delay or i == n - 1:  # feedback arrives in batches
            for pv, r in pending:
                router.reward(pv, r)
            pending.clear()
    return better / n, regret


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=50_000)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--min-share", type=float, default=0.05)
    ap.add_argument("--delay", type=int, default=100, help="requests between feedback batches")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = {"thompson": [], "fixed 50/50": []}
    for seed in range(args.seeds):
        ts = ThompsonRouter(list(RATES), min_share=args.min_share, seed=seed, sticky_seconds=0)
        fx = FixedSplit({k: 0.5 for k in RATES}, seed=seed, sticky_seconds=0)
        rows["thompson"].append(simulate(ts, args.requests, seed, args.delay))
        rows["fixed 50/50"].append(simulate(fx, args.requests, seed, args.delay))
    print(f"{args.requests:,} requests x {args.seeds} seeds; conversion {RATES}; min_share {args.min_share}; "
          f"feedback every {args.delay} requests")
    print(f"{'policy':12} {'share to better':>16} {'regret (conversions)':>21}")
    for name, res in rows.items():
        share = statistics.mean(r[0] for r in res)
        regret = statistics.mean(r[1] for r in res)
        print(f"{name:12} {share:16.1%} {regret:21.1f}")
    ratio = statistics.mean(r[1] for r in rows["thompson"]) / statistics.mean(r[1] for r in rows["fixed 50/50"])
    print(f"bandit regret / fixed-split regret = {ratio:.2f} (lower is better; < 1 means the bandit earns more)")
    print(f"({time.perf_counter() - t0:.1f}s)")


if __name__ == "__main__":
    main()
