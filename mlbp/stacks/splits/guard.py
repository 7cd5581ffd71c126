"""The holdout guard: every strategy's holdout must be big enough to judge a model on.

A holdout of 84 rows blessed a model and ranked a sweep; the guard makes that impossible. Needs:
at least `min_rows` (by default the larger of 1,000 and 10% of the table, never more than a
third of it) and, for classes, `min_class_rows` of every class (never more than a third of that
class's rows). A strategy that picks rows per class (stratified) aims at exactly that; a split
that cannot (time, group) is refused only below half the rows a third-sized holdout would hold of
the class on average (a sixth of it): a bar at the average itself failed a fair split half the
time (15 classes in 3,000 rows: 45 rows where 48 were asked), while a class that vanishes from
the newest rows still fails it. Strategies widen their window until the need is met; the split stage refuses,
naming the numbers, when it cannot be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DEFAULT_MIN_ROWS = 1000
DEFAULT_SHARE = 0.10
MAX_SHARE = 1 / 3
CLASS_SLACK = 0.5  # a rare class needs at least half its expected share of a third-sized holdout


@dataclass(frozen=True)
class HoldoutNeed:
    """What a holdout of this table must hold (see module docstring)."""

    min_rows: int
    max_rows: int                 # a third of the table: a wider window leaves too little to train on
    class_rows: dict[str, int]    # class -> rows a holdout aims at (empty for regression)
    rule: str                     # how min_rows was chosen, for messages
    class_floor: dict[str, int]   # class -> rows below which the holdout is refused

    @classmethod
    def for_table(cls, y: pd.Series, task: str, min_rows: int | None = None, min_class_rows: int | None = 50
                  ) -> HoldoutNeed:
        n = len(y)
        cap = int(n * MAX_SHARE)
        if min_rows is None:
            wanted = max(DEFAULT_MIN_ROWS, int(DEFAULT_SHARE * n))
            rule = f"the larger of {DEFAULT_MIN_ROWS:,} and 10% of {n:,} rows, at most a third"
            need = min(wanted, cap)
        else:
            need, rule = int(min_rows), "evaluation.holdout.min_rows"
        classes: dict[str, int] = {}
        floor: dict[str, int] = {}
        if task != "regression" and min_class_rows:
            for label, total in y.dropna().astype(str).value_counts().items():
                classes[str(label)] = min(int(min_class_rows), int(total * MAX_SHARE))
                floor[str(label)] = min(classes[str(label)], max(1, int(total * MAX_SHARE * CLASS_SLACK)))
        return cls(need, max(cap, need), classes, rule, floor)

    def shortfall(self, y_holdout: pd.Series) -> list[str]:
        """What the holdout lacks, in words with the numbers; empty when it is enough."""
        short = []
        if len(y_holdout) < self.min_rows:
            short.append(f"{len(y_holdout):,} rows, needs at least {self.min_rows:,} ({self.rule})")
        if self.class_rows:
            counts = y_holdout.dropna().astype(str).value_counts()
            for label, need in self.class_floor.items():
                have = int(counts.get(label, 0))
                if have < need:
                    short.append(f"{have:,} rows of class '{label}', needs at least {need:,}")
        return short

    def met_by(self, y: pd.Series, train_mask: np.ndarray) -> bool:
        return not self.shortfall(y[~train_mask])

    def describe(self) -> dict[str, Any]:
        return {"min_rows": self.min_rows, "max_rows": self.max_rows, "rule": self.rule,
                **({"class_rows": self.class_rows, "class_floor": self.class_floor} if self.class_rows else {})}
