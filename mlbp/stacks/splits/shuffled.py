"""Seeded random holdouts for tables with no time order: stratified by class (or, for a
regression, by target quantile), and group-aware (rows sharing an id never straddle the sides).

Neither is `ordered`: the holdout is not "later" than the training rows, so out-of-time
measures (degradation, robustness on new data) are reported as not measurable, never as a
number computed on a shuffle.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mlbp.engine.errors import MlbpError, Reason

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from mlbp.stacks.splits.guard import HoldoutNeed

QUANTILE_BINS = 10  # a regression target is stratified by decile


def strata(y: pd.Series, task: str) -> pd.Series:
    """What to stratify on: the class, or the target's decile for a regression (missing apart)."""
    import pandas as pd

    if task == "regression":
        values = pd.to_numeric(y, errors="coerce")
        bins = pd.qcut(values.rank(method="first"), q=min(QUANTILE_BINS, max(values.notna().sum(), 1)),
                       labels=False, duplicates="drop")
        return bins.astype("float").fillna(-1).astype(int).astype(str)
    return y.astype("object").where(y.notna(), "<missing>").astype(str)


def holdout_size(n: int, share: float, y: pd.Series, task: str, need: HoldoutNeed | None) -> tuple[int, str]:
    """Rows to hold out: `share` of the table, raised to what the guard needs, at most its cap."""
    size, why = int(round(share * n)), f"{share:.0%} of the rows"
    if need is None:
        return size, why
    wanted = need.min_rows
    if need.class_rows:
        counts = strata(y, task).value_counts()
        for label, rows in need.class_rows.items():
            total = int(counts.get(label, 0))
            if total:
                wanted = max(wanted, math.ceil(rows / total * n) + 1)
    if wanted > size:
        size, why = min(wanted, need.max_rows), "raised to meet the holdout guard"
    return size, why


def _check_share(share: float) -> float:
    if not 0 < float(share) < 1:
        raise MlbpError("the holdout share must lie between 0 and 1", reason=Reason.CONFIG,
                        key="split.holdout_share", expected="e.g. 0.2", got=share)
    return float(share)


class StratifiedSplit:
    """A seeded random holdout with every class (or target decile) in the same proportion as the table."""

    name = "stratified"
    ordered = False

    def __init__(self, holdout_share: float = 0.2, seed: int = 0) -> None:
        self.holdout_share = _check_share(holdout_share)
        self.seed = int(seed)

    def split(self, df: pd.DataFrame, target: str, task: str, need: HoldoutNeed | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        import numpy as np
        from sklearn.model_selection import train_test_split

        if target not in df.columns:
            raise MlbpError(f"target '{target}' is not in the data", reason=Reason.CONFIG, key="target",
                            expected=list(df.columns), got=target)
        n = len(df)
        size, why = holdout_size(n, self.holdout_share, df[target], task, need)
        labels = strata(df[target], task)
        # a stratum with one row cannot be on both sides: it trains, and is named in the facts
        single = labels.map(labels.value_counts()) < 2
        idx = np.arange(n)
        _, test = train_test_split(idx[~single.to_numpy()], test_size=min(size, int((~single).sum()) - 1),
                                   stratify=labels[~single].to_numpy(), random_state=self.seed)
        mask = np.ones(n, dtype=bool)
        mask[test] = False
        info = {"seed": self.seed, "holdout_share": round(size / n, 4), "holdout_size_rule": why,
                "stratified_by": "target decile" if task == "regression" else "class"}
        if single.any():
            info["singleton_strata_in_train"] = int(single.sum())
        return mask, info

    def folds(self, df: pd.DataFrame, y: np.ndarray, task: str, n_folds: int, seed: int
              ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Stratified K-fold on the same strata (class or target decile), reshuffled by each seed."""
        import numpy as np
        import pandas as pd
        from sklearn.model_selection import StratifiedKFold

        labels = strata(pd.Series(y), task).to_numpy()
        splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(len(y)), labels))


class GroupSplit:
    """A seeded random holdout of whole groups: every row of an id (a customer, a loan) sits on
    one side, so the model is judged on ids it never saw, as it will be in production."""

    name = "group"
    ordered = False

    def __init__(self, group_column: str | None, holdout_share: float = 0.2, seed: int = 0) -> None:
        if not group_column:
            raise MlbpError("the group split needs the column whose rows belong together", reason=Reason.CONFIG,
                            key="split.group_column", expected="an id column that repeats, e.g. customer_id",
                            got=group_column)
        self.group_column = group_column
        self.holdout_share = _check_share(holdout_share)
        self.seed = int(seed)

    def split(self, df: pd.DataFrame, target: str, task: str, need: HoldoutNeed | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        import numpy as np

        if self.group_column not in df.columns:
            raise MlbpError(f"group column '{self.group_column}' is not in the data", reason=Reason.CONFIG,
                            key="split.group_column", expected=list(df.columns), got=self.group_column)
        n = len(df)
        size, why = holdout_size(n, self.holdout_share, df[target], task, need)
        groups = df[self.group_column].astype("object").where(df[self.group_column].notna(), "<missing>").astype(str)
        codes, uniques = groups.factorize()
        rows_per_group = np.bincount(codes, minlength=len(uniques))
        order = np.random.default_rng(self.seed).permutation(len(uniques))
        taken = np.cumsum(rows_per_group[order])
        k = int(np.searchsorted(taken, size)) + 1  # whole groups until the holdout holds `size` rows
        held = np.zeros(len(uniques), dtype=bool)
        held[order[:min(k, len(uniques) - 1)]] = True
        mask = ~held[codes]
        info = {"seed": self.seed, "group_column": self.group_column, "groups": int(len(uniques)),
                "holdout_groups": int(held.sum()), "holdout_share": round(float((~mask).mean()), 4),
                "holdout_size_rule": why}
        return mask, info

    def folds(self, df: pd.DataFrame, y: np.ndarray, task: str, n_folds: int, seed: int
              ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Grouped K-fold (stratified by class where there are classes), reshuffled by each seed:
        no id is on both sides of any fold."""
        import numpy as np
        from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

        groups = df[self.group_column].astype("object").where(df[self.group_column].notna(), "<missing>")
        codes = groups.astype(str).factorize()[0]
        splitter: Any = (GroupKFold(n_splits=n_folds, shuffle=True, random_state=seed) if task == "regression"
                         else StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed))
        return list(splitter.split(np.zeros(len(y)), y, codes))
