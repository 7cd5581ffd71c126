"""A rich progress display for the engine's run events."""

from __future__ import annotations

from rich.console import Console

from mlbp.compose.say import markup, say
from mlbp.engine.manifest import StageRecord

ICONS = {"done": "[green]✓[/]", "cached": "[cyan]↺[/]", "failed": "[red]✗[/]"}


class RichObserver:
    """Prints a line per stage as it finishes, with a spinner while it runs."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._status = None

    def stage_started(self, name: str, index: int, total: int) -> None:
        self._index, self._total = index, total
        self._status = self.console.status(markup("\\[{}/{}] {} …", index, total, name))
        self._status.start()

    def stage_finished(self, record: StageRecord) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        status = "cached" if record.cache_hit else record.status
        icon = ICONS.get(status, "·")
        secs = f"{record.seconds:.2f}s" if record.seconds is not None else ""
        note = "cache hit" if record.cache_hit else status
        facts = ", ".join(f"{k}={v}" for k, v in list(record.facts.items())[:4] if not isinstance(v, dict | list))
        say(" {} \\[{}/{}] [bold]{:<10}[/] {:<9} {:>8}  [dim]{}[/]", icon, self._index, self._total, record.name,
            note, secs, facts, out=self.console)  # facts are data: never markup
