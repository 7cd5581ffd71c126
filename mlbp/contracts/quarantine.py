"""Quarantine: every rejected row kept with the column, check and offending value of each failure.

Two files in the `quarantine` artifact:

- `data.parquet`: one row per rejected input row: `_row` (position in the source, or CSV line),
  `_stage` (`parse` or `contract`), `_reason` (readable), `_failures` (list of
  {column, check, value}), then the row's own columns. Unparseable CSV lines have no columns,
  only `_raw_line`.
- `failures.parquet`: one row per (row, column, check) failure, the long form of `_failures`.

Values of columns the running team may not see are masked (or removed when denied) *here*, so
no raw pii reaches a quarantine file read by a team without clearance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlbp.governance.policy import Policy, mask_value

if TYPE_CHECKING:
    import pandas as pd

CASE_COLUMNS = ["row", "column", "check", "value"]


def mask_cases(cases: pd.DataFrame, policy: Policy, team: str) -> pd.DataFrame:
    """Failure values from hidden columns, masked (or nulled when denied) per the team's rules."""
    if cases.empty or not policy.enabled:
        return cases
    out = cases.copy()
    for col in policy.hidden(team, out["column"].unique()):
        sel = out["column"] == col
        out.loc[sel, "value"] = policy.mask_values(col, out.loc[sel, "value"], team).to_numpy()
    return out


def quarantine_frame(df: pd.DataFrame, cases: pd.DataFrame, policy: Policy, team: str) -> pd.DataFrame:
    """Rows of df named in cases (already masked), governed, with their reasons in front."""
    import pandas as pd

    if cases.empty:
        rows = df.iloc[0:0]
        return _front(policy.apply(rows, team)[0] if policy.enabled else rows, [], [], [], "contract")
    shown = cases["value"].astype(object).where(cases["value"].notna(), "hidden")
    text = cases["column"] + ": " + cases["check"] + " (got " + shown.astype(str) + ")"
    by_row = cases.assign(_text=text).groupby("row", sort=True)
    reasons = by_row["_text"].agg(lambda r: "; ".join(dict.fromkeys(r)))
    failures = by_row.apply(lambda g: [{"column": c, "check": k, "value": None if pd.isna(v) else str(v)}
                                       for c, k, v in zip(g["column"], g["check"], g["value"], strict=True)],
                            include_groups=False)
    rows = df.loc[reasons.index]
    if policy.enabled:
        rows, _ = policy.apply(rows, team)
    return _front(rows, reasons.index.to_list(), reasons.to_list(), failures.loc[reasons.index].to_list(), "contract")


def unparsed_frame(lines: pd.DataFrame, columns: list[str], policy: Policy, team: str) -> pd.DataFrame:
    """Unparseable source lines as quarantine rows. If the team may not see some column, the whole
    line is masked: which field holds the pii cannot be known for a line that does not parse."""
    import pandas as pd

    hide = policy.enabled and bool(policy.hidden(team, columns))
    raw = lines["text"].astype(str)
    if hide:
        raw = raw.map(lambda t: mask_value(t, policy.secret()))
    out = pd.DataFrame({
        "_row": lines["line"].astype("int64").to_numpy(),
        "_stage": "parse",
        "_reason": ("unparseable: " + lines["reason"].astype(str)).to_numpy(),
        "_failures": [[{"column": "*", "check": "parse", "value": v}] for v in raw],
        "_raw_line": raw.to_numpy(),
    })
    return out


def _front(rows: pd.DataFrame, index: list[int], reasons: list[str], failures: list, stage: str) -> pd.DataFrame:
    import pandas as pd

    out = rows.copy()
    out.insert(0, "_row", pd.array(index, dtype="int64"))
    out.insert(1, "_stage", stage)
    out.insert(2, "_reason", pd.array(reasons, dtype="str"))
    out.insert(3, "_failures", pd.Series(failures, index=out.index, dtype=object))
    return out.reset_index(drop=True)
