"""The split stage: `clean` -> `train` + `holdout`, by the strategy the `split` config group names."""

from __future__ import annotations

from typing import Any, ClassVar

from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import read_frame, write_frame, write_json
from mlbp.stacks.splits import SplitStrategy
from mlbp.stacks.splits.guard import HoldoutNeed


class Split(Stage):
    """Splits `clean` into `train` and `holdout` with `strategy` (see mlbp.stacks.splits)."""

    needs: ClassVar[tuple[str, ...]] = ("clean",)
    makes: ClassVar[tuple[str, ...]] = ("train", "holdout")

    def __init__(self, strategy: SplitStrategy, target: str, task: str, holdout: dict[str, Any] | None = None
                 ) -> None:
        if not isinstance(strategy, SplitStrategy):
            raise MlbpError("a split strategy needs name, ordered and split(df, target, task)", reason=Reason.CONFIG,
                            key="split", expected="a class from mlbp.stacks.splits", got=type(strategy).__name__)
        self.strategy = strategy
        self.target = target
        self.task = task
        self.holdout = dict(holdout or {})
        unknown = set(self.holdout) - {"min_rows", "min_class_rows"}
        if unknown:
            raise MlbpError(f"unknown holdout rule(s) {sorted(unknown)}", reason=Reason.UNKNOWN_KEY,
                            key="evaluation.holdout", expected=["min_rows", "min_class_rows"], got=sorted(unknown))

    def run(self, ctx: StageContext) -> None:
        df = read_frame(ctx.input("clean"))
        need = None
        if self.target in df.columns:
            need = HoldoutNeed.for_table(df[self.target], self.task, self.holdout.get("min_rows"),
                                         self.holdout.get("min_class_rows", 50))
        mask, facts = self.strategy.split(df, self.target, self.task, need)
        train, test = df[mask].reset_index(drop=True), df[~mask].reset_index(drop=True)
        if train.empty or test.empty:
            raise MlbpError(f"the {self.strategy.name} split leaves an empty side", reason=Reason.CONFIG, key="split",
                            expected="rows on both sides", got=f"train {len(train)} rows, holdout {len(test)} rows")
        short = need.shortfall(test[self.target]) if need is not None else []
        if short:
            span = f" ({facts['holdout_span']})" if "holdout_span" in facts else ""
            raise MlbpError(f"the {self.strategy.name} split's holdout{span} is too small to judge a model on: "
                            + "; ".join(short), reason=Reason.FEASIBILITY, key="evaluation.holdout",
                            expected=need.describe(), got={"holdout_rows": len(test), "table_rows": len(df)},
                            fix="more rows, a wider holdout (e.g. split.holdout_months=2), or a smaller bar "
                                "(evaluation.holdout.min_rows=..., evaluation.holdout.min_class_rows=...)")
        info: dict[str, Any] = {"strategy": self.strategy.name, "ordered": self.strategy.ordered,
                                "train_rows": len(train), "holdout_rows": len(test), **facts,
                                **({"guard": need.describe()} if need is not None else {})}
        write_frame(train, ctx.output("train"))
        write_frame(test, ctx.output("holdout"))
        write_json(info, ctx.output("train"), "split.json")
        write_json(info, ctx.output("holdout"), "split.json")
        ctx.note(strategy=info["strategy"], train=info["train_rows"], holdout=info["holdout_rows"],
                 **({"cutoff": str(info["cutoff"])[:10]} if "cutoff" in info else {}),
                 **({"widened": info["widened"]["to"]} if "widened" in info else {}),
                 **({"partial_period": info["partial_period"]["period"]} if "partial_period" in info else {}))
