"""Prometheus metrics of one server (own registry, so tests can run several servers at once)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("mlbp_requests", "HTTP requests by endpoint and status", ["endpoint", "status"],
                                registry=self.registry)
        self.errors = Counter("mlbp_errors", "responses with status >= 400", ["endpoint", "status"],
                              registry=self.registry)
        self.latency = Histogram("mlbp_request_latency_seconds", "request latency", ["endpoint"], buckets=BUCKETS,
                                 registry=self.registry)
        self.predictions = Counter("mlbp_predictions", "rows predicted per model version and variant",
                                   ["model", "version", "variant", "shadow"], registry=self.registry)
        self.predict_latency = Histogram("mlbp_predict_latency_seconds", "predict latency per model version",
                                         ["model", "version", "variant"], buckets=BUCKETS, registry=self.registry)
        self.info = Gauge("mlbp_model_info", "1 for the version each variant serves",
                          ["model", "version", "variant", "fast_path"], registry=self.registry)
        self.refused_rows = Counter("mlbp_rows_refused", "rows answered with their own error (unseen category)",
                                    ["model", "version", "variant"], registry=self.registry)
        self.swaps = Counter("mlbp_model_swaps", "hot swaps per variant", ["variant"], registry=self.registry)

        self._children: dict[tuple, tuple] = {}

    def request_done(self, endpoint: str, status: int, seconds: float) -> None:
        """Count one response; the labelled children are cached (labels() costs more than inc())."""
        key = ("req", endpoint, status)
        kids = self._children.get(key)
        if kids is None:
            code = str(status)
            kids = (self.requests.labels(endpoint, code), self.errors.labels(endpoint, code) if status >= 400 else None,
                    self.latency.labels(endpoint))
            self._children[key] = kids
        kids[0].inc()
        if kids[1] is not None:
            kids[1].inc()
        kids[2].observe(seconds)

    def predicted(self, model: str, version: str, variant: str, shadow: bool, rows: int, seconds: float) -> None:
        key = ("pred", model, version, variant, shadow)
        kids = self._children.get(key)
        if kids is None:
            kids = (self.predictions.labels(model, version, variant, "true" if shadow else "false"),
                    self.predict_latency.labels(model, version, variant))
            self._children[key] = kids
        kids[0].inc(rows)
        if not shadow:
            kids[1].observe(seconds)

    def refused(self, model: str, version: str, variant: str, rows: int) -> None:
        self.refused_rows.labels(model, version, variant).inc(rows)

    def set_models(self, variants: dict) -> None:
        self.info.clear()
        for name, v in variants.items():
            self.info.labels(v.model.name, str(v.model.version), name, v.model.fast_path).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
