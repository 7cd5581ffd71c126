"""The Stage protocol: declared inputs and outputs, and one method that turns one into the other.

A stage is built from its YAML node by `hydra.utils.instantiate`; `__init__` only stores
parameters (scikit-learn style) so that building a graph is cheap and has no side effects.
Artifacts are folders: a stage reads `ctx.input(slot)` and writes files into `ctx.output(slot)`;
the runner hashes and stores them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar


class Stage:
    """Base class for stages. Subclasses set `needs`/`makes` (slot names) and implement `run`.

    `cacheable = False` marks a stage whose effect lies outside the store (a report written into
    the run folder, an idempotent registration); it runs every time.
    """

    needs: ClassVar[tuple[str, ...]] = ()
    makes: ClassVar[tuple[str, ...]] = ()
    cacheable: ClassVar[bool] = True
    # A hand-off check declares its kind (e.g. "smoke"); the run manifest records it per stage and
    # the promotion policy reads it there, never guessing from stage or class names.
    check: ClassVar[str | None] = None

    def run(self, ctx: StageContext) -> None:  # pragma: no cover - protocol
        raise NotImplementedError

    def external_state(self) -> Any:
        """State outside the store that the stage reads (a file's hash, a table's version).

        It joins the fingerprint, so an edited source file is a cache miss even though the
        stage's config did not change. Return None when the stage reads nothing external.
        """
        return None

    def describe(self) -> dict[str, Any]:
        """Parameters for display; the fingerprint uses the resolved config instead."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


@dataclass
class StageContext:
    """What a running stage sees: its input folders, output folders, the run folder and a log."""

    stage: str
    inputs: dict[str, Path]
    outputs: dict[str, Path]
    run_dir: Path
    log: logging.Logger
    manifest: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def input(self, slot: str) -> Path:
        try:
            return self.inputs[slot]
        except KeyError:
            raise KeyError(
                f"stage '{self.stage}' asked for input '{slot}' but declares {sorted(self.inputs)}"
            ) from None

    def output(self, slot: str) -> Path:
        try:
            return self.outputs[slot]
        except KeyError:
            raise KeyError(
                f"stage '{self.stage}' wrote output '{slot}' but declares {sorted(self.outputs)}"
            ) from None

    def note(self, **facts: Any) -> None:
        """Record small facts (row counts, verdicts) in the run manifest for this stage."""
        self.facts.update(facts)
