"""Split strategies: how `clean` becomes `train` and `holdout` (the `split` config group).

A strategy is any object with this shape, named by `_target_` in `conf/split/<name>.yaml`::

    name: str          # shown in the scorecard and the run report
    ordered: bool      # True when the holdout lies after the training rows in time, so
                       # "how does it hold up later" (degradation, out-of-time robustness) means something
    def split(df, target, task, need) -> (train_mask, info)   # a boolean numpy mask over df's rows
    def folds(df, y, task, n_folds, seed) -> [(train_idx, test_idx)]   # cross-validation on the
                       # training rows, the same way: time-ordered, stratified or grouped

`need` (a guard.HoldoutNeed, or None) says what the holdout must hold; a strategy sizes or widens
its holdout to meet it. The stage (mlbp.stacks.split.Split) applies the mask, refuses a holdout
that still falls short (naming the numbers) and writes both sides; the strategy only decides which
rows go where, so a new strategy is one small class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from mlbp.stacks.splits.guard import HoldoutNeed


@runtime_checkable
class SplitStrategy(Protocol):
    name: str
    ordered: bool

    def split(self, df: pd.DataFrame, target: str, task: str, need: HoldoutNeed | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        """A boolean mask (True = train) over the rows of `df`, and facts for split.json."""
        ...

    def folds(self, df: pd.DataFrame, y: np.ndarray, task: str, n_folds: int, seed: int
              ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Cross-validation folds over the rows of `df` (positions), following the same strategy."""
        ...
