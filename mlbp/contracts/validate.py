"""The validate stage: every failing row goes to quarantine with its reasons; the rest go on.

Rows in = rows accepted + rows quarantined, always. Column-level failures (a missing column, a
column that cannot be read as its type at all) fail the run with the full list.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
import pandera.pandas as pa

from mlbp.contracts.spec import build_schema
from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import read_frame, write_frame, write_json

MAX_PASSES = 3


def validate_frame(df: pd.DataFrame, schema: pa.DataFrameSchema) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Split df into (accepted, quarantined rows, failure cases). Re-validates after removing bad
    rows, because a row that cannot be coerced makes pandera skip the column's later checks."""
    df = df.reset_index(drop=True)
    remaining = df
    failures: list[pd.DataFrame] = []
    for _ in range(MAX_PASSES):
        try:
            accepted = schema.validate(remaining, lazy=True)
            break
        except pa.errors.SchemaErrors as exc:
            fc = exc.failure_cases.copy()
            row_level = fc[fc["index"].notna()]
            if row_level.empty:
                _raise_column_failures(fc)
            failures.append(row_level)
            bad = set(row_level["index"].astype(int))
            remaining = remaining.drop(index=list(bad))
    else:
        accepted = schema.validate(remaining, lazy=True)
    cases = (pd.concat(failures, ignore_index=True) if failures
             else pd.DataFrame(columns=["schema_context", "column", "check", "check_number", "failure_case", "index"]))
    cases = cases.assign(index=cases["index"].astype("int64"), failure_case=cases["failure_case"].astype(str),
                         check=cases["check"].astype(str), column=cases["column"].astype(str))
    cases = cases[["index", "column", "check", "failure_case"]].rename(columns={"index": "row"})
    reasons = (cases.assign(reason=cases["column"] + ": " + cases["check"] + " (got " + cases["failure_case"] + ")")
               .groupby("row")["reason"].agg(lambda r: "; ".join(dict.fromkeys(r))))
    quarantined = df.loc[reasons.index].copy()
    quarantined.insert(0, "_row", reasons.index.to_numpy())
    quarantined.insert(1, "_reason", reasons.to_numpy())
    return accepted.reset_index(drop=True), quarantined.reset_index(drop=True), cases


def _raise_column_failures(fc: pd.DataFrame) -> None:
    items = [f"{r.column if r.column is not None else r.failure_case}: {r.check} ({r.failure_case})"
             for r in fc.itertuples()]
    raise MlbpError("column-level contract failures:\n  " + "\n  ".join(dict.fromkeys(items)),
                    reason=Reason.CONTRACT, key="contract.columns",
                    fix="fix the source or the contract; these cannot be quarantined row by row")


class Validate(Stage):
    """Checks `raw` against the contract; makes `clean` and `quarantine`."""

    needs: ClassVar[tuple[str, ...]] = ("raw",)
    makes: ClassVar[tuple[str, ...]] = ("clean", "quarantine")

    def __init__(self, columns: dict[str, dict[str, Any]], checks: dict[str, Any] | None = None,
                 max_quarantine_share: float = 0.05, strict: bool | str = False, name: str = "contract") -> None:
        self.columns = columns
        self.checks = checks or {}
        self.max_quarantine_share = max_quarantine_share
        self.strict = strict
        self.name = name

    def run(self, ctx: StageContext) -> None:
        raw = read_frame(ctx.input("raw"))
        schema = build_schema(self.columns, self.strict)
        accepted, quarantined, cases = validate_frame(raw, schema)
        n_in, n_ok, n_bad = len(raw), len(accepted), len(quarantined)
        assert n_in == n_ok + n_bad, "rows in must equal rows accepted + rows quarantined"
        share = n_bad / n_in if n_in else 0.0
        top = cases.groupby(["column", "check"]).size().sort_values(ascending=False).head(5)
        summary = {"rows_in": n_in, "rows_accepted": n_ok, "rows_quarantined": n_bad,
                   "quarantine_share": round(share, 6),
                   "top_reasons": [{"column": c, "check": k, "rows": int(v)} for (c, k), v in top.items()]}
        min_rows = self.checks.get("min_rows")
        if min_rows and n_ok < min_rows:
            raise MlbpError(f"only {n_ok} rows passed the contract", reason=Reason.CONTRACT,
                            key="contract.checks.min_rows", expected=f">= {min_rows}", got=n_ok)
        if share > self.max_quarantine_share:
            reasons = ", ".join(f"{r['column']}/{r['check']}: {r['rows']}" for r in summary["top_reasons"])
            raise MlbpError(f"{n_bad} of {n_in} rows ({share:.1%}) failed the contract; top reasons: {reasons}",
                            reason=Reason.QUARANTINE_LIMIT, key="contract.max_quarantine_share",
                            expected=f"<= {self.max_quarantine_share:.1%}", got=f"{share:.1%}",
                            fix="fix the source data or relax the contract")
        write_frame(accepted, ctx.output("clean"))
        write_json(summary, ctx.output("clean"), "validation.json")
        write_frame(quarantined, ctx.output("quarantine"))
        write_frame(cases, ctx.output("quarantine"), "failures.parquet")
        write_json(summary, ctx.output("quarantine"), "validation.json")
        ctx.note(rows_in=n_in, accepted=n_ok, quarantined=n_bad)
