"""One small error hierarchy with reason codes.

Every error says where (a config key, stage, file or column), what was expected, what came,
and how to fix it, so a user never has to read a traceback to act on it.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Machine-readable reason codes; the CLI and tests match on these, never on text."""

    CONFIG = "config"
    NOT_ALLOWED = "target_not_allowed"
    MISSING_INPUT = "missing_input"
    DUPLICATE_OUTPUT = "duplicate_output"
    CYCLE = "cycle"
    UNKNOWN_KEY = "unknown_key"
    STAGE_FAILED = "stage_failed"
    SOURCE = "source"
    CONTRACT = "contract"
    QUARANTINE_LIMIT = "quarantine_limit"
    FEASIBILITY = "feasibility"
    BUNDLE = "bundle"
    REGISTRY = "registry"
    POLICY = "policy"
    INPUT = "input"


class MlbpError(Exception):
    """Base error: a message plus where it happened and what would fix it."""

    def __init__(
        self,
        message: str,
        *,
        reason: Reason = Reason.CONFIG,
        key: str | None = None,
        expected: object = None,
        got: object = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.key = key
        self.expected = expected
        self.got = got
        self.fix = fix

    def __str__(self) -> str:
        parts = []
        if self.key:
            parts.append(f"{self.key}: ")
        parts.append(self.message)
        if self.expected is not None or self.got is not None:
            parts.append(f" (expected {self.expected}, got {self.got})")
        if self.fix:
            parts.append(f". Fix: {self.fix}")
        return "".join(parts)

    def to_dict(self) -> dict:
        return {
            "reason": self.reason.value,
            "key": self.key,
            "message": self.message,
            "expected": None if self.expected is None else str(self.expected),
            "got": None if self.got is None else str(self.got),
            "fix": self.fix,
        }


class GraphError(MlbpError):
    """Every problem found while validating a run graph, reported at once."""

    def __init__(self, problems: list[MlbpError]) -> None:
        self.problems = problems
        lines = [f"the run graph has {len(problems)} problem(s):"]
        lines += [f"  - [{p.reason.value}] {p}" for p in problems]
        super().__init__("\n".join(lines), reason=problems[0].reason if problems else Reason.CONFIG)

    def __str__(self) -> str:
        return self.message


class StageFailed(MlbpError):
    """A stage raised; names the stage, its config key and the cause."""

    def __init__(self, stage: str, cause: BaseException) -> None:
        if isinstance(cause, MlbpError) and not isinstance(cause, StageFailed):
            # the cause's own words only: its key and fix become this error's, printed once each
            detail = cause.message + (f" (expected {cause.expected}, got {cause.got})"
                                      if cause.expected is not None or cause.got is not None else "")
        else:
            detail = str(cause) or type(cause).__name__
        super().__init__(
            f"stage '{stage}' failed: {detail}",
            reason=getattr(cause, "reason", Reason.STAGE_FAILED),
            key=getattr(cause, "key", None) or f"pipeline.stages.{stage}",
            fix=getattr(cause, "fix", None)
            or "fix the cause above and run again; finished stages are cache hits",
        )
        self.stage = stage
        self.cause = cause

    def __str__(self) -> str:
        s = f"{self.key}: {self.message}"
        if self.fix:
            s += f". Fix: {self.fix}"
        return s
