"""The example's data source: rows made by its seeded generator, read like any other source
(`name`, `read()`, `describe()`, `fingerprint()`), so the pipeline cannot tell it from a file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


class ExampleSource:
    """The bundled restaurant-offers example, generated deterministically from a seed."""

    def __init__(self, name: str = "restaurant_offers", n_rows: int = 50_000, seed: int = 7,
                 start: str = "2026-01-01", months: int = 7) -> None:
        self.name = name
        self.n_rows = n_rows
        self.seed = seed
        self.start = start
        self.months = months

    def read(self) -> pd.DataFrame:
        from mlbp.examples.restaurant_offers.generate import generate

        return generate(n_rows=self.n_rows, seed=self.seed, start=self.start, months=self.months)

    def fingerprint(self) -> dict[str, int]:
        """The generator's version: same parameters, same version -> the same rows."""
        from mlbp.examples.restaurant_offers.generate import GENERATOR_VERSION

        return {"generator": GENERATOR_VERSION}

    def describe(self) -> dict[str, Any]:
        return {"kind": "example", "name": self.name, "n_rows": self.n_rows, "seed": self.seed}
