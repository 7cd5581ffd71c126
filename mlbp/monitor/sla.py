"""Service levels: latency p50/p95/p99, error rate and throughput against the targets in config.

Latency comes from the server's own per-request measurement (`latency_ms` in the prediction
log). Errors: records the server logged with an `error`, or — when `metrics_url` points at the
server's Prometheus `/metrics` — its request and error counters, which also count requests that
never reached the model (bad payloads, overload).
"""

from __future__ import annotations

import re
import urllib.request
from typing import Any

import numpy as np

from mlbp.monitor.window import Window

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eEinfNa]+)")


def scrape_counters(url: str, names: dict[str, str], timeout: float = 5.0) -> dict[str, float]:
    """Sum Prometheus samples by metric name, e.g. {"requests": "mlbp_requests_total"}."""
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (a configured local URL)
        text = resp.read().decode()
    return parse_counters(text, names)


def parse_counters(text: str, names: dict[str, str]) -> dict[str, float]:
    sums = {k: 0.0 for k in names}
    wanted = {v: k for k, v in names.items()}
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m and m.group(1) in wanted:
            label_filter = names.get(f"{wanted[m.group(1)]}_labels")
            if label_filter and label_filter not in (m.group(2) or ""):
                continue
            sums[wanted[m.group(1)]] += float(m.group(3))
    return sums


class SlaMonitor:
    name = "sla"

    def __init__(self, p50_ms: float | None = None, p95_ms: float | None = None, p99_ms: float | None = None,
                 max_error_rate: float | None = 0.01, min_throughput_rps: float | None = None,
                 metrics_url: str | None = None, counters: dict[str, str] | None = None) -> None:
        self.targets = {"p50_ms": p50_ms, "p95_ms": p95_ms, "p99_ms": p99_ms}
        self.max_error_rate = max_error_rate
        self.min_throughput_rps = min_throughput_rps
        self.metrics_url = metrics_url
        self.counters = counters or {"requests": "mlbp_requests_total", "errors": "mlbp_errors_total"}

    def run(self, window: Window) -> dict[str, Any]:
        f = window.served
        lat = f["latency_ms"].dropna().to_numpy(dtype=float) if "latency_ms" in f.columns else np.array([])
        result: dict[str, Any] = {"requests": len(f)}
        if len(lat):
            p50, p95, p99 = np.percentile(lat, [50, 95, 99])
            result |= {"p50_ms": float(p50), "p95_ms": float(p95), "p99_ms": float(p99),
                       "max_ms": float(lat.max()), "mean_ms": float(lat.mean())}
        errors = int(f["error"].notna().sum()) if "error" in f.columns else 0
        total = len(f)
        counts = dict(window.server_counts)
        if not counts and self.metrics_url:
            counts = scrape_counters(self.metrics_url, self.counters)
        if counts.get("requests"):
            total, errors = int(counts["requests"]), int(counts.get("errors", 0))
            result["counts_from"] = "server"
        else:
            result["counts_from"] = "prediction_log"
        result["error_rate"] = errors / total if total else 0.0
        result["errors"] = errors
        if len(f) > 1:
            span = (window.end - window.start) if window.start > 0 else float(f["time"].max() - f["time"].min())
            result["throughput_rps"] = len(f) / span if span > 0 else None
            result["latency_by_time"] = self._latency_by_time(f)
        breaches = []
        for k, target in self.targets.items():
            if target is not None and k in result and result[k] > float(target):
                breaches.append({"slo": k, "value": result[k], "target": float(target)})
        if self.max_error_rate is not None and result["error_rate"] > self.max_error_rate:
            breaches.append({"slo": "error_rate", "value": result["error_rate"], "target": self.max_error_rate})
        rps = result.get("throughput_rps")
        if self.min_throughput_rps is not None and rps is not None and rps < self.min_throughput_rps:
            breaches.append({"slo": "throughput_rps", "value": rps, "target": self.min_throughput_rps})
        result |= {"targets": {**self.targets, "max_error_rate": self.max_error_rate,
                               "min_throughput_rps": self.min_throughput_rps},
                   "breaches": breaches, "breached": [b["slo"] for b in breaches], "alert": bool(breaches)}
        return result

    @staticmethod
    def _latency_by_time(f, buckets: int = 24) -> list[dict[str, float]]:
        t = f["time"].to_numpy(dtype=float)
        lat = f["latency_ms"].to_numpy(dtype=float)
        edges = np.linspace(t.min(), t.max() + 1e-6, buckets + 1)
        idx = np.searchsorted(edges, t, side="right") - 1
        out = []
        for b in range(buckets):
            part = lat[(idx == b) & ~np.isnan(lat)]
            if len(part):
                out.append({"time": float(edges[b]), "p50_ms": float(np.percentile(part, 50)),
                            "p95_ms": float(np.percentile(part, 95)), "p99_ms": float(np.percentile(part, 99)),
                            "requests": int(len(part))})
        return out
