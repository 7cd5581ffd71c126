"""How `mlbp init` picks the split for a new table, and the reason it prints and writes down.

A date column spanning at least MIN_MONTHS calendar months → the time split (the newest month
is the holdout: evaluation sees the future it will face). Otherwise → stratified: a seeded
random holdout with the classes (or target deciles) in proportion. The group split is never
guessed here; it comes with the column roles (an id column that repeats).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

MIN_MONTHS = 3  # fewer months than this leave no honest "newest month" holdout beside a training window


def choose_split(df: pd.DataFrame, time_column: str | None, candidates: list[str]) -> tuple[str, str | None, str]:
    """(split option, time column or None, why) for this table; `time_column` is the user's choice."""
    import pandas as pd

    tried = [time_column] if time_column else candidates
    spans = []
    for col in tried:
        ts = pd.to_datetime(df[col], utc=True, errors="coerce", format="mixed").dropna()
        months = ts.dt.tz_localize(None).dt.to_period("M").nunique() if len(ts) else 0
        spans.append((col, months))
        if months >= MIN_MONTHS:
            return "time", col, (f"'{col}' spans {months} months ({ts.min():%Y-%m-%d} to {ts.max():%Y-%m-%d}): "
                                 "the newest month is the holdout, so evaluation sees the future it will face")
    if not spans:
        return "stratified", None, ("no date column: a seeded random holdout, classes (or target deciles) in "
                                    "proportion; out-of-time checks are not measurable")
    said = ", ".join(f"'{c}' spans {m} month{'s' if m != 1 else ''}" for c, m in spans)
    return "stratified", time_column, (f"{said}, under the {MIN_MONTHS} a time holdout needs: a seeded random "
                                       "holdout instead; out-of-time checks are not measurable")
