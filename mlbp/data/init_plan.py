"""What `mlbp init` decides for a table, before it writes anything: every column's role, the id and
time columns, what is never a model input, what governance must classify, and the split. A dry
run prints this plan; a real run writes it into the project."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlbp.data.choose_split import choose_split
from mlbp.data.roles import ColumnRole, assign_roles
from mlbp.engine.errors import MlbpError, Reason

if TYPE_CHECKING:
    import pandas as pd

SPLITS = ("time", "stratified", "group")
OVERRIDABLE = ("id", "time", "personal", "constant", "leak", "feature")
NEVER_INPUTS = ("id", "time", "personal", "constant", "leak")  # roles that are never model features


@dataclass
class Plan:
    roles: list[ColumnRole]
    id_column: str | None
    time_column: str | None
    group_column: str | None
    split: str
    split_reason: str
    exclude: list[str]
    personal: list[str]

    def rows(self) -> list[dict[str, str]]:
        """The decisions as table rows: column, role, reason, and the override that changes it."""
        out = []
        for r in self.roles:
            role = r.role + (f" ({r.kind})" if r.kind else "") + (", repeats" if r.repeats else "")
            change = "target=<column>" if r.role == "target" else (
                f"roles.feature=[{r.column}]" if r.role in NEVER_INPUTS else f"roles.id=[{r.column}] (or another role)")
            out.append({"column": r.column, "role": role, "reason": r.reason, "change with": change})
        return out


def plan_project(df: pd.DataFrame, target: str, task: str, time_column: str | None = None,
                 id_column: str | None = None, split: str | None = None,
                 overrides: dict[str, list[str]] | None = None) -> Plan:
    overrides = {k: list(v or []) for k, v in (overrides or {}).items() if v}
    unknown = sorted(set(overrides) - set(OVERRIDABLE))
    if unknown:
        raise MlbpError(f"unknown role(s) {unknown}", reason=Reason.CONFIG, key="roles", expected=list(OVERRIDABLE),
                        got=unknown)
    for role, cols in overrides.items():
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise MlbpError(f"roles.{role} names column(s) the table does not have: {missing}", reason=Reason.CONFIG,
                            key=f"roles.{role}", expected=list(df.columns), got=missing)
    if id_column:  # an id given by name is an id, whatever a rule says
        if id_column in overrides.get("feature", []):
            raise MlbpError(f"'{id_column}' is both the id column and a feature", reason=Reason.CONFIG,
                            key="id_column", expected="a key that is not a model input",
                            fix=f"drop it from roles.feature, or pick another id_column than {id_column}")
        overrides.setdefault("id", []).append(id_column)
    if time_column:
        overrides.setdefault("time", []).append(time_column)
    roles = assign_roles(df, target, task, overrides)
    by_role: dict[str, list[ColumnRole]] = {}
    for r in roles:
        by_role.setdefault(r.role, []).append(r)
    ids = by_role.get("id", [])
    id_column = id_column or next((r.column for r in ids if not r.repeats), None) or (ids[0].column if ids else None)
    repeating = next((r for r in ids if r.repeats), None)
    times = [r.column for r in by_role.get("time", [])]
    if split is not None and split not in SPLITS:
        raise MlbpError("unknown split", reason=Reason.CONFIG, key="split", expected=" | ".join(SPLITS), got=split)
    chosen, time_column, why = choose_split(df, time_column, times)
    group = None
    if chosen == "stratified" and repeating is not None:
        chosen, group = "group", repeating.column
        why = (f"'{group}' repeats ({repeating.reason.split(' (')[0]}): a random holdout of whole "
               f"{group} values keeps each one on one side; out-of-time checks are not measurable")
    if split is not None and split != chosen:
        if split == "time" and not time_column:
            raise MlbpError("the time split needs a date column", reason=Reason.CONFIG, key="time_column",
                            expected=times or "a column of dates", got=None,
                            fix="pass time_column=<column>, or let init choose the split")
        if split == "group" and group is None:
            group = id_column
            if group is None:
                raise MlbpError("the group split needs an id column", reason=Reason.CONFIG, key="id_column",
                                fix="pass id_column=<column whose rows belong together>")
        chosen, why = split, "chosen on the command line"
    exclude = [r.column for r in roles if r.role in NEVER_INPUTS]
    personal = [r.column for r in by_role.get("personal", [])]
    return Plan(roles, id_column, time_column, group if chosen == "group" else None, chosen, why, exclude, personal)


def describe(plan: Plan) -> dict[str, Any]:
    return {"id_column": plan.id_column, "time_column": plan.time_column, "split": plan.split,
            "group_column": plan.group_column, "exclude": plan.exclude, "personal": plan.personal}
