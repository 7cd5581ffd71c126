"""The time split: the newest period is the holdout, so evaluation sees the future it will face.

Two things a calendar gets wrong are handled here. A *partial final period* (a month holding a
few hours of rows, e.g. the last evening of a year that a UTC timestamp pushed into January)
is never a holdout of its own: it joins the period before it. And when the newest period is
too small for the holdout guard, the window widens one period at a time, up to a third of the
table (see guard.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlbp.engine.errors import MlbpError, Reason

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from mlbp.stacks.splits.guard import HoldoutNeed

PARTIAL_SHARE = 0.5  # a newest period with fewer rows than this share of the typical period is partial


class TimeSplit:
    """Rows in the newest `holdout_months` calendar months (or the last `holdout_days` days) are held out."""

    name = "time"
    ordered = True

    def __init__(self, time_column: str | None, holdout_months: int = 1, holdout_days: int | None = None) -> None:
        if not time_column:
            raise MlbpError("the time split needs a time column", reason=Reason.CONFIG, key="time_column",
                            expected="a column of dates", got=time_column,
                            fix="set time_column=<column>, or choose a split that needs none (conf/split)")
        if holdout_months < 1 and not holdout_days:
            raise MlbpError("the holdout must span at least one month or one day", reason=Reason.CONFIG,
                            key="split.holdout_months", expected=">= 1", got=holdout_months)
        self.time_column = time_column
        self.holdout_months = int(holdout_months)
        self.holdout_days = int(holdout_days) if holdout_days else None

    def times(self, df: pd.DataFrame) -> pd.Series:
        """The time column as naive UTC timestamps (zone-aware values are converted, not dropped)."""
        import pandas as pd

        if self.time_column not in df.columns:
            raise MlbpError(f"time column '{self.time_column}' is not in the data", reason=Reason.CONFIG,
                            key="time_column", expected=list(df.columns), got=self.time_column)
        ts = pd.to_datetime(df[self.time_column], utc=True, errors="coerce", format="mixed")
        if ts.isna().all():
            raise MlbpError(f"time column '{self.time_column}' holds no dates", reason=Reason.INPUT, key="time_column",
                            expected="dates or date strings", got=df[self.time_column].head(3).tolist())
        return ts.dt.tz_localize(None)

    def split(self, df: pd.DataFrame, target: str, task: str, need: HoldoutNeed | None = None
              ) -> tuple[np.ndarray, dict[str, Any]]:
        ts = self.times(df)
        newest = ts.max()
        info: dict[str, Any] = {"time_column": self.time_column, "train_start": ts.min().isoformat(),
                                "holdout_end": newest.isoformat()}
        base = self.holdout_days or self.holdout_months
        partial = None if self.holdout_days else _partial_period(ts)
        if partial:
            info["partial_period"] = partial
            base += 1  # the partial period joins the holdout with the full one(s) before it
        undated = ts.isna()  # rows with no date train, never judge: they are no one's "future"
        if undated.any():
            info["undated_rows_in_train"] = int(undated.sum())
        width, mask = base, (ts < self._cutoff(newest, base)) | undated
        if need is not None and target in df.columns and not need.met_by(df[target], mask.to_numpy()):
            first = need.shortfall(df[target][~mask.to_numpy()])
            cutoff = None
            while True:
                wider = (ts < self._cutoff(newest, width + 1)) | undated
                if (~wider).sum() > need.max_rows or not wider[~undated].any():
                    # a whole period more is over a third of the table: the newest rows instead
                    cutoff = ts.dropna().sort_values().iloc[-min(need.min_rows, int((~undated).sum()) - 1)]
                    mask = (ts < cutoff) | undated
                    break
                width, mask = width + 1, wider
                if need.met_by(df[target], mask.to_numpy()):
                    break
            if cutoff is not None:
                span = f"the newest {int((~mask).sum()):,} rows"
                info["widened"] = {"from": self._span(base), "to": span, "because": "; ".join(first)}
                info["cutoff"], info["holdout_span"] = cutoff.isoformat(), span
                return mask.to_numpy(), info
            if width > base:
                info["widened"] = {"from": self._span(base), "to": self._span(width), "because": "; ".join(first)}
        info["cutoff"] = self._cutoff(newest, width).isoformat()
        info["holdout_span"] = self._span(width)
        return mask.to_numpy(), info

    def folds(self, df: pd.DataFrame, y: np.ndarray, task: str, n_folds: int, seed: int
              ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Blocked, time-ordered folds: each fold is one contiguous stretch of time, so a fold is
        never judged on rows interleaved with the ones it trained on. The seed does not move them
        (it reseeds the estimator)."""
        import numpy as np

        order = np.argsort(self.times(df).to_numpy(), kind="stable")
        return [(order[np.r_[0:a, b:len(order)]], order[a:b])
                for a, b in zip(*_bounds(len(order), n_folds), strict=True)]

    def _cutoff(self, newest: pd.Timestamp, width: int) -> pd.Timestamp:
        import pandas as pd

        if self.holdout_days:
            return newest.normalize() - pd.Timedelta(days=width - 1)
        return newest.to_period("M").start_time - pd.DateOffset(months=width - 1)

    def _span(self, width: int) -> str:
        unit = "day" if self.holdout_days else "month"
        return f"{width} {unit}{'s' if width != 1 else ''}"


def _bounds(n: int, k: int) -> tuple[list[int], list[int]]:
    edges = [round(i * n / k) for i in range(k + 1)]
    return edges[:-1], edges[1:]


def _partial_period(ts: pd.Series) -> dict[str, Any] | None:
    """The newest calendar month, when it holds far fewer rows than the months before it."""
    periods = ts.dt.to_period("M")
    counts = periods.value_counts().sort_index()
    if len(counts) < 3:
        return None
    typical = float(counts.iloc[:-1].median())
    newest_rows = int(counts.iloc[-1])
    if newest_rows >= PARTIAL_SHARE * typical:
        return None
    return {"period": str(counts.index[-1]), "rows": newest_rows, "typical_rows": int(typical),
            "joined_with": str(counts.index[-2])}
