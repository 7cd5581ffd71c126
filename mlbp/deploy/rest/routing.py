"""The default traffic policy: a fixed-weight split with sticky keys, plus optional shadows.

YAML (`monitor.traffic`, or built by `mlbp serve` from the variants when unset)::

    traffic:
      _target_: mlbp.deploy.rest.routing.SplitRouter
      weights: {champion: 0.9, challenger: 0.1}
      shadow: [candidate]      # predict on every request, logged with shadow=True, never returned
"""

from __future__ import annotations

import hashlib
import random
import threading
from typing import Any

from mlbp.engine.errors import MlbpError, Reason


class SplitRouter:
    """Routes by fixed weights. The same key always lands on the same variant (hash bucket), so a
    customer sees one model; requests without a key are split at random with the same weights."""

    def __init__(self, weights: dict[str, float], shadow: list[str] | None = None, seed: int | None = None) -> None:
        if not weights:
            raise MlbpError("a router needs at least one variant", reason=Reason.CONFIG, key="monitor.traffic.weights",
                            expected="{variant: weight}", got=weights)
        bad = {k: v for k, v in weights.items() if not isinstance(v, int | float) or v < 0}
        total = sum(float(v) for v in weights.values()) if not bad else 0.0
        if bad or total <= 0:
            raise MlbpError("weights must be non-negative numbers with a positive sum", reason=Reason.CONFIG,
                            key="monitor.traffic.weights", expected="{variant: weight >= 0}", got=weights)
        self.weights = {str(k): float(v) / total for k, v in weights.items()}
        self.shadow = [str(s) for s in (shadow or []) if str(s) not in self.weights]
        self._names = list(self.weights)
        self._cum: list[float] = []
        acc = 0.0
        for n in self._names:
            acc += self.weights[n]
            self._cum.append(acc)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.rewards: dict[str, list[float]] = {n: [0.0, 0.0] for n in self._names}  # sum, count

    def _pick(self, u: float) -> str:
        for name, edge in zip(self._names, self._cum, strict=True):
            if u < edge:
                return name
        return self._names[-1]

    def choose(self, key: str | None) -> tuple[str, list[str]]:
        if len(self._names) == 1:
            return self._names[0], self.shadow
        if key is None:
            u = self._rng.random()
        else:
            u = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") / 2**64
        return self._pick(u), self.shadow

    def reward(self, variant: str, value: float) -> None:
        with self._lock:
            acc = self.rewards.setdefault(variant, [0.0, 0.0])
            acc[0] += float(value)
            acc[1] += 1

    def allocation(self) -> dict[str, float]:
        return dict(self.weights)

    def describe(self) -> dict[str, Any]:
        return {"weights": self.weights, "shadow": self.shadow,
                "rewards": {k: {"sum": v[0], "count": int(v[1])} for k, v in self.rewards.items()}}
