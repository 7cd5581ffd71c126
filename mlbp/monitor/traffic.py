"""Which variant answers a request: fixed split, shadow, or a Thompson-sampling bandit.

The REST server calls, by duck typing::

    variant, shadows = router.choose(key)   # serve `variant`; also predict with `shadows`, log, don't return
    router.reward(variant, value)           # from POST /feedback (value in [0, 1]: conversion, or a scaled reward)
    router.allocation()                     # {variant: expected share of traffic}
    router.stats()                          # per-variant requests and rewards, for /metrics and the report

Sticky routing: a request carrying a caller key is served by the same variant for
`sticky_seconds` (0 switches it off). Every router persists its state (bandit posteriors,
counters, sticky assignments) to a JSON file written atomically, at most every
`persist_seconds` and on `close()`, so a restart continues where it stopped.

YAML (conf/monitor/traffic/thompson.yaml)::

    traffic:
      _target_: mlbp.monitor.traffic.ThompsonRouter
      variants: [champion, challenger]
      min_share: 0.1
      state_path: ${paths.state}/monitor/traffic.json
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading
import time
from pathlib import Path
from typing import Any

from mlbp.engine.errors import MlbpError, Reason


def _digest(key: str) -> str:
    return hashlib.blake2b(str(key).encode(), digest_size=12).hexdigest()


class _Router:
    """Shared machinery: sticky keys, counters, persistence. Subclasses pick a variant."""

    def __init__(self, variants: list[str], state_path: str | Path | None = None, sticky_seconds: float = 3600.0,
                 persist_seconds: float = 1.0, max_sticky_keys: int = 100_000, seed: int | None = None) -> None:
        variants = [str(v) for v in variants]
        if not variants or len(set(variants)) != len(variants):
            raise MlbpError("traffic needs distinct variant names", key="monitor.traffic.variants",
                            expected="a list like [champion, challenger]", got=variants)
        self.variants = variants
        self.state_path = Path(state_path) if state_path else None
        self.sticky_seconds = float(sticky_seconds)
        self.persist_seconds = float(persist_seconds)
        self.max_sticky_keys = int(max_sticky_keys)
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._save_lock = threading.Lock()
        self._sticky: dict[str, tuple[str, float]] = {}
        self.counts: dict[str, dict[str, float]] = {v: {"requests": 0, "rewards": 0, "reward_sum": 0.0}
                                                    for v in variants}
        self._last_save = 0.0
        self._saver: threading.Thread | None = None
        self._load()

    # -- protocol -------------------------------------------------------------------------------
    def choose(self, key: str | None = None) -> tuple[str, list[str]]:
        now = time.time()
        with self._lock:
            variant = None
            if key is not None and self.sticky_seconds > 0:
                key = _digest(key)  # caller keys are often customer ids: only a digest is kept and saved
                hit = self._sticky.get(key)
                if hit and now - hit[1] < self.sticky_seconds and hit[0] in self.counts:
                    variant = hit[0]
            if variant is None:
                variant = self._pick()
                if key is not None and self.sticky_seconds > 0:
                    if len(self._sticky) >= self.max_sticky_keys:
                        self._prune(now)
                    self._sticky[key] = (variant, now)
            self.counts[variant]["requests"] += 1
            self._maybe_save(now)
            return variant, self._shadows(variant)

    def reward(self, variant: str, value: float) -> None:
        if variant not in self.counts:
            raise MlbpError(f"unknown variant '{variant}'", reason=Reason.INPUT, key="variant",
                            expected=self.variants, got=variant)
        value = float(value)
        with self._lock:
            self.counts[variant]["rewards"] += 1
            self.counts[variant]["reward_sum"] += value
            self._update(variant, value)
            self._maybe_save(time.time())

    def allocation(self) -> dict[str, float]:
        raise NotImplementedError

    def stats(self) -> dict[str, dict[str, Any]]:
        alloc = self.allocation()
        with self._lock:
            return {v: {**c, "reward_mean": (c["reward_sum"] / c["rewards"]) if c["rewards"] else None,
                        "allocation": alloc.get(v, 0.0)} for v, c in self.counts.items()}

    def close(self) -> None:
        if self._saver is not None:
            self._saver.join(timeout=10)
        self.save()

    # -- for subclasses -----------------------------------------------------------------------------
    def _pick(self) -> str:
        raise NotImplementedError

    def _shadows(self, variant: str) -> list[str]:
        return []

    def _update(self, variant: str, value: float) -> None:
        return None

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra(self, state: dict[str, Any]) -> None:
        return None

    # -- persistence --------------------------------------------------------------------------------
    def _prune(self, now: float) -> None:
        self._sticky = {k: v for k, v in self._sticky.items() if now - v[1] < self.sticky_seconds}
        if len(self._sticky) >= self.max_sticky_keys:  # still full: forget the oldest half
            keep = sorted(self._sticky.items(), key=lambda kv: kv[1][1])[len(self._sticky) // 2:]
            self._sticky = dict(keep)

    def _maybe_save(self, now: float) -> None:
        """Persist off the request path: a background thread writes the file, one at a time."""
        if self.state_path is None or now - self._last_save < self.persist_seconds:
            return
        if self._saver is None or not self._saver.is_alive():
            self._last_save = now
            self._saver = threading.Thread(target=self.save, name="mlbp-traffic-save", daemon=True)
            self._saver.start()

    def save(self) -> None:
        if self.state_path is None:
            return
        with self._lock:  # snapshot under the lock, write outside it
            now = time.time()
            self._prune(now)
            state = {"type": type(self).__name__, "variants": self.variants,
                     "counts": {v: dict(c) for v, c in self.counts.items()}, "sticky": dict(self._sticky),
                     "saved": now, **self._extra_state()}
        with self._save_lock:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_path.with_name(f".{self.state_path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(state))
            os.replace(tmp, self.state_path)
            self._last_save = now

    def _load(self) -> None:
        if self.state_path is None or not self.state_path.exists():
            return
        try:
            state = json.loads(self.state_path.read_text())
        except json.JSONDecodeError as exc:
            raise MlbpError(f"traffic state {self.state_path} is not valid JSON", key="monitor.traffic.state_path",
                            fix="delete the file to start the allocation afresh") from exc
        for v, c in state.get("counts", {}).items():
            if v in self.counts:  # a variant removed from config is dropped; a new one starts fresh
                self.counts[v] = {k: c.get(k, 0) for k in ("requests", "rewards", "reward_sum")}
        self._sticky = {k: (v[0], float(v[1])) for k, v in state.get("sticky", {}).items() if v[0] in self.counts}
        self._load_extra(state)


class FixedSplit(_Router):
    """Serve variants by fixed weights (KServe-style canary), e.g. {champion: 0.9, challenger: 0.1}."""

    def __init__(self, weights: dict[str, float], **kwargs: Any) -> None:
        total = float(sum(weights.values()))
        if total <= 0 or any(w < 0 for w in weights.values()):
            raise MlbpError("traffic weights must be non-negative and not all zero", key="monitor.traffic.weights",
                            got=dict(weights))
        self.weights = {str(k): float(w) / total for k, w in weights.items()}
        super().__init__(list(self.weights), **kwargs)

    def _pick(self) -> str:
        return self._rng.choices(self.variants, weights=[self.weights[v] for v in self.variants])[0]

    def allocation(self) -> dict[str, float]:
        return dict(self.weights)


class ShadowRouter(_Router):
    """`primary` answers every request; every other variant predicts on it too (logged, never returned)."""

    def __init__(self, primary: str, shadows: list[str], **kwargs: Any) -> None:
        self.primary = str(primary)
        self.shadow_variants = [str(s) for s in shadows]
        super().__init__([self.primary, *self.shadow_variants], **kwargs)

    def _pick(self) -> str:
        return self.primary

    def _shadows(self, variant: str) -> list[str]:
        return list(self.shadow_variants)

    def allocation(self) -> dict[str, float]:
        return {v: (1.0 if v == self.primary else 0.0) for v in self.variants}


class ThompsonRouter(_Router):
    """Thompson sampling on Beta posteriors of a reward in [0, 1], with a floor per variant.

    With probability k * min_share a variant is drawn uniformly (so each gets at least min_share
    of new assignments), otherwise the variant with the highest posterior draw serves. A reward
    outside [0, 1] is clipped; scale business value to [0, 1] before sending it (or send 0/1).
    """

    def __init__(self, variants: list[str], min_share: float = 0.05, prior: tuple[float, float] = (1.0, 1.0),
                 shadows: list[str] | None = None, allocation_draws: int = 2000, **kwargs: Any) -> None:
        n = len(variants)
        if not 0 <= float(min_share) * n <= 1:
            raise MlbpError("min_share times the number of variants must be within [0, 1]",
                            key="monitor.traffic.min_share", expected=f"<= {1 / max(n, 1):.3f}", got=min_share)
        self.min_share = float(min_share)
        self.prior = (float(prior[0]), float(prior[1]))
        self.shadow_variants = [str(s) for s in (shadows or [])]
        self.allocation_draws = int(allocation_draws)
        self.posterior: dict[str, list[float]] = {str(v): list(self.prior) for v in variants}
        super().__init__(list(variants), **kwargs)

    def _pick(self) -> str:
        if self._rng.random() < self.min_share * len(self.variants):
            return self._rng.choice(self.variants)
        draws = {v: self._rng.betavariate(*self.posterior[v]) for v in self.variants}
        return max(draws, key=draws.__getitem__)

    def _shadows(self, variant: str) -> list[str]:
        return [s for s in self.shadow_variants if s != variant]

    def _update(self, variant: str, value: float) -> None:
        r = min(max(value, 0.0), 1.0)
        self.posterior[variant][0] += r
        self.posterior[variant][1] += 1.0 - r

    def allocation(self) -> dict[str, float]:
        """Expected share of new assignments: the floor plus P(best) estimated by posterior draws."""
        rng = random.Random(0)
        with self._lock:
            post = {v: tuple(p) for v, p in self.posterior.items()}
        wins = dict.fromkeys(self.variants, 0)
        for _ in range(self.allocation_draws):
            draws = {v: rng.betavariate(*post[v]) for v in self.variants}
            wins[max(draws, key=draws.__getitem__)] += 1
        explore = self.min_share * len(self.variants)
        return {v: self.min_share + (1 - explore) * wins[v] / self.allocation_draws for v in self.variants}

    def _extra_state(self) -> dict[str, Any]:
        return {"posterior": {v: list(p) for v, p in self.posterior.items()}, "min_share": self.min_share}

    def _load_extra(self, state: dict[str, Any]) -> None:
        for v, p in state.get("posterior", {}).items():
            if v in self.posterior:
                self.posterior[v] = [float(p[0]), float(p[1])]
