"""The two interfaces the server offers to the monitoring layer.

`mlbp.deploy` may import `mlbp.monitor` but not the reverse, so the server depends only on these
protocols; the monitor package provides classes that satisfy them (the prediction log, traffic
policies) and `mlbp serve` builds them from `monitor.prediction_log` / `monitor.traffic`.

A prediction record (one per row, shadow predictions included) has exactly these fields::

    request_id  str        the id returned to the client (header X-Request-ID)
    time        float      epoch seconds when the prediction was made
    model       str        registry model name
    version     int|str    bundle version that produced it
    variant     str        variant name (e.g. champion, challenger)
    inputs      dict       column -> value, as validated
    outputs     dict       output name -> value
    latency_ms  float      time spent predicting the request
    shadow      bool       True: a shadow variant's prediction, logged but not returned

A feedback record: {request_id, time, variant, model, version, label | reward}.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

RECORD_FIELDS = ("request_id", "time", "model", "version", "variant", "inputs", "outputs", "latency_ms", "shadow")


@runtime_checkable
class PredictionSink(Protocol):
    """Where predictions go. `write` is called on the serving path: it must not block (buffer)."""

    def write(self, records: list[dict[str, Any]]) -> None: ...

    def write_feedback(self, records: list[dict[str, Any]]) -> None: ...

    def close(self) -> None:
        """Flush everything buffered; called once when the server shuts down."""
        ...


@runtime_checkable
class Router(Protocol):
    """Which variant serves a request and which variants shadow it."""

    def choose(self, key: str | None) -> tuple[str, list[str]]:
        """(variant that serves, variants that predict in shadow); a key makes the choice sticky."""
        ...

    def reward(self, variant: str, value: float) -> None: ...

    def allocation(self) -> dict[str, float]:
        """Current share of traffic per variant (sums to 1)."""
        ...


class NullSink:
    """The default sink: predictions are not logged."""

    def write(self, records: list[dict[str, Any]]) -> None:
        return None

    def write_feedback(self, records: list[dict[str, Any]]) -> None:
        return None

    def close(self) -> None:
        return None
