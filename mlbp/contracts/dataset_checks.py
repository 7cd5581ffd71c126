"""Dataset-level contract checks, judged on the accepted rows after row-level validation.

    checks:
      min_rows: 1000                 # at least this many rows must pass
      max_rows: 10000000
      target: redeemed               # present, never null, at least two distinct values
      max_null_share: {avg_ticket: 0.1}
      min_distinct: {region: 3}

Every failing check is reported at once, each naming its `contract.checks.<name>` key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlbp.engine.errors import MlbpError, Reason

if TYPE_CHECKING:
    import pandas as pd

KNOWN = ("min_rows", "max_rows", "target", "max_null_share", "min_distinct")


def dataset_problems(df: pd.DataFrame, checks: dict[str, Any]) -> list[str]:
    problems = []
    checks = dict(checks or {})
    unknown = sorted(set(checks) - set(KNOWN))
    if unknown:
        problems.append(f"contract.checks: unknown checks {unknown} (known: {list(KNOWN)})")
    n = len(df)
    if checks.get("min_rows") is not None and n < int(checks["min_rows"]):
        problems.append(f"contract.checks.min_rows: {n} rows passed the contract, want >= {checks['min_rows']}")
    if checks.get("max_rows") is not None and n > int(checks["max_rows"]):
        problems.append(f"contract.checks.max_rows: {n} rows, want <= {checks['max_rows']}")
    target = checks.get("target")
    if target:
        if target not in df.columns:
            problems.append(f"contract.checks.target: target column '{target}' is missing")
        else:
            nulls = int(df[target].isna().sum())
            if nulls:
                problems.append(f"contract.checks.target: {nulls} rows have no target '{target}'")
            if df[target].nunique(dropna=True) < 2:
                problems.append(f"contract.checks.target: '{target}' has fewer than 2 distinct values")
    for col, limit in dict(checks.get("max_null_share") or {}).items():
        if col not in df.columns:
            problems.append(f"contract.checks.max_null_share.{col}: column is missing")
            continue
        share = float(df[col].isna().mean()) if n else 0.0
        if share > float(limit):
            problems.append(f"contract.checks.max_null_share.{col}: null share {share:.3f} > {limit}")
    for col, want in dict(checks.get("min_distinct") or {}).items():
        if col not in df.columns:
            problems.append(f"contract.checks.min_distinct.{col}: column is missing")
            continue
        got = int(df[col].nunique(dropna=True))
        if got < int(want):
            problems.append(f"contract.checks.min_distinct.{col}: {got} distinct values, want >= {want}")
    return problems


def check_dataset(df: pd.DataFrame, checks: dict[str, Any]) -> None:
    problems = dataset_problems(df, checks)
    if problems:
        raise MlbpError(f"{len(problems)} dataset-level contract check(s) failed:\n  " + "\n  ".join(problems),
                        reason=Reason.CONTRACT, key="contract.checks",
                        fix="fix the source data or the contract's dataset checks")
