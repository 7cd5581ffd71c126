"""The time split: the latest period is the holdout, so evaluation sees the future it will face."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import read_frame, write_frame, write_json

if TYPE_CHECKING:
    import pandas as pd


def time_split(df: pd.DataFrame, time_column: str, holdout_months: int = 1, holdout_days: int | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Rows in the newest `holdout_months` calendar months (or the last `holdout_days` days) are held out."""
    import pandas as pd

    if time_column not in df.columns:
        raise MlbpError(f"time column '{time_column}' is not in the data", reason=Reason.CONFIG, key="time_column",
                        expected=list(df.columns), got=time_column)
    ts = pd.to_datetime(df[time_column])
    newest = ts.max()
    if holdout_days:
        cutoff = newest.normalize() - pd.Timedelta(days=holdout_days - 1)
    else:
        cutoff = newest.to_period("M").start_time - pd.DateOffset(months=holdout_months - 1)
    train, test = df[ts < cutoff], df[ts >= cutoff]
    if train.empty or test.empty:
        raise MlbpError("the time split leaves an empty side", reason=Reason.CONFIG,
                        key="pipeline.stages.split", expected="a holdout shorter than the data's span",
                        got=f"holdout_months={holdout_months}, holdout_days={holdout_days}")
    info = {"cutoff": cutoff.isoformat(), "train_rows": len(train), "holdout_rows": len(test),
            "train_start": ts.min().isoformat(), "holdout_end": newest.isoformat()}
    return train.reset_index(drop=True), test.reset_index(drop=True), info


class TimeSplit(Stage):
    """Splits `clean` into `train` and `holdout` by `time_column`: the newest month(s) or days are held out."""

    needs: ClassVar[tuple[str, ...]] = ("clean",)
    makes: ClassVar[tuple[str, ...]] = ("train", "holdout")

    def __init__(self, time_column: str, holdout_months: int = 1, holdout_days: int | None = None) -> None:
        self.time_column = time_column
        self.holdout_months = holdout_months
        self.holdout_days = holdout_days

    def run(self, ctx: StageContext) -> None:
        df = read_frame(ctx.input("clean"))
        train, test, info = time_split(df, self.time_column, self.holdout_months, self.holdout_days)
        write_frame(train, ctx.output("train"))
        write_frame(test, ctx.output("holdout"))
        write_json(info, ctx.output("train"), "split.json")
        write_json(info, ctx.output("holdout"), "split.json")
        ctx.note(train=info["train_rows"], holdout=info["holdout_rows"], cutoff=info["cutoff"][:10])
