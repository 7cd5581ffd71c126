"""Small real stages for engine tests: they read and write files like every stage does."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from mlbp.engine.stage import Stage, StageContext


class Source(Stage):
    makes: ClassVar[tuple[str, ...]] = ("numbers",)

    def __init__(self, path: str, calls: list | None = None) -> None:
        self.path = path
        self.calls = calls if calls is not None else []

    def external_state(self) -> str:
        return Path(self.path).read_text()

    def run(self, ctx: StageContext) -> None:
        self.calls.append("source")
        (ctx.output("numbers") / "numbers.txt").write_text(Path(self.path).read_text())


class Double(Stage):
    needs: ClassVar[tuple[str, ...]] = ("numbers",)
    makes: ClassVar[tuple[str, ...]] = ("doubled",)

    def __init__(self, factor: int = 2, calls: list | None = None, fail_times: int = 0) -> None:
        self.factor = factor
        self.calls = calls if calls is not None else []
        self.fail_times = fail_times

    def run(self, ctx: StageContext) -> None:
        self.calls.append("double")
        nums = [int(x) for x in (ctx.input("numbers") / "numbers.txt").read_text().split()]
        (ctx.output("doubled") / "part1.txt").write_text(" ".join(str(n * self.factor) for n in nums))
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("disk full while writing part2")  # a crash halfway through a write
        (ctx.output("doubled") / "part2.txt").write_text("ok")
        ctx.note(count=len(nums))


class Sum(Stage):
    needs: ClassVar[tuple[str, ...]] = ("doubled",)
    makes: ClassVar[tuple[str, ...]] = ("total",)

    def __init__(self, calls: list | None = None) -> None:
        self.calls = calls if calls is not None else []

    def run(self, ctx: StageContext) -> None:
        self.calls.append("sum")
        nums = [int(x) for x in (ctx.input("doubled") / "part1.txt").read_text().split()]
        (ctx.output("total") / "total.txt").write_text(str(sum(nums)))


class Count(Stage):
    """Independent of Double: what a waiting job can do while a sibling computes Double."""

    needs: ClassVar[tuple[str, ...]] = ("numbers",)
    makes: ClassVar[tuple[str, ...]] = ("count",)

    def __init__(self, calls: list | None = None) -> None:
        self.calls = calls if calls is not None else []

    def run(self, ctx: StageContext) -> None:
        self.calls.append("count")
        n = len((ctx.input("numbers") / "numbers.txt").read_text().split())
        (ctx.output("count") / "count.txt").write_text(str(n))
