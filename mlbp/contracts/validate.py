"""The validate stage: every failing row goes to quarantine with its reasons; the rest go on.

Rows in = rows accepted + rows quarantined, always (unparseable source lines count as rows in
and are quarantined too). Column-level failures (a missing column, a column that cannot be read
as its type at all, an extra column under `strict: true`) fail the run with the full list.
Dataset-level checks are judged on the accepted rows. Governance is applied to everything this
stage writes: columns the running team may not see are masked or dropped in `clean` and
`quarantine` alike, so nothing downstream carries raw pii.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from mlbp.contracts.coerce import coerce_text_columns
from mlbp.contracts.dataset_checks import check_dataset
from mlbp.contracts.quarantine import CASE_COLUMNS, mask_cases, quarantine_frame, unparsed_frame
from mlbp.contracts.spec import build_schema, classifications
from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import Stage, StageContext
from mlbp.governance.policy import Policy
from mlbp.io import read_frame, write_frame, write_json

if TYPE_CHECKING:
    import pandas as pd

if TYPE_CHECKING:
    import pandera.pandas as pa

MAX_PASSES = 10
UNPARSED_FILE = "unparsed.parquet"


def validate_frame(df: pd.DataFrame, schema: pa.DataFrameSchema, coerce_limit: float = 0.5
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(accepted, quarantined rows with `_row`/`_reason`/`_failures`, failure cases), ungoverned.

    The shape other stages (batch scoring, monitors) rely on; `cases` keeps the pandera name
    `failure_case` beside `value`. The validate stage uses `find_failures` and governs the rest."""
    accepted, cases = find_failures(df, schema, coerce_limit)
    quarantined = quarantine_frame(df.reset_index(drop=True), cases, Policy(), "")
    return accepted, quarantined, cases.assign(failure_case=cases["value"])


def find_failures(df: pd.DataFrame, schema: pa.DataFrameSchema, coerce_limit: float = 0.5,
                  columns: dict[str, dict[str, Any]] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split df into (accepted rows, failure cases [row, column, check, value]).

    Text columns the contract (`columns`) types as int, float, bool or datetime are parsed value
    by value first (mlbp.contracts.coerce): a bad value fails its row only. Then pandera checks
    the rest, re-validating after removing bad rows, because a value that cannot be coerced makes
    pandera skip the column's later checks. A column whose values mostly fail to coerce (more
    than `coerce_limit` of its non-null values) is a column-level failure, not a pile of bad rows."""
    import pandas as pd
    from pandera.errors import SchemaErrors

    df = df.reset_index(drop=True)
    remaining = df
    failures: list[pd.DataFrame] = []
    typed = None
    if columns:
        remaining, typed = coerce_text_columns(df, columns)
        _raise_column_failures(_mostly_bad(typed, df, coerce_limit))
        remaining = remaining.drop(index=sorted(set(typed["row"].tolist())))
    for n_pass in range(MAX_PASSES):
        try:
            accepted = schema.validate(remaining, lazy=True)
            break
        except SchemaErrors as exc:
            fc = exc.failure_cases.copy()
            row_level = fc[fc["index"].notna()]
            column_level = fc[fc["index"].isna()]
            if n_pass == 0:
                _raise_column_failures(_structural(column_level) + _uncoercible(row_level, df, coerce_limit))
            if row_level.empty:
                _raise_column_failures(_describe(column_level))
            failures.append(row_level)
            remaining = remaining.drop(index=sorted(set(row_level["index"].astype(int))))
    else:
        raise MlbpError(f"validation did not settle after {MAX_PASSES} passes", reason=Reason.CONTRACT,
                        key="contract.columns")
    cases = (pd.concat(failures, ignore_index=True) if failures
             else pd.DataFrame(columns=["column", "check", "failure_case", "index"]))
    cases = pd.DataFrame({
        "row": cases["index"].astype("int64").to_numpy(),
        "column": cases["column"].astype(str).to_numpy(),
        "check": cases["check"].astype(str).to_numpy(),
        "value": pd.array([None if _isna(v) else str(v) for v in cases["failure_case"]], dtype="str"),
    }, columns=CASE_COLUMNS)
    if typed is not None and len(typed):
        typed = typed.assign(value=pd.array(typed["value"].tolist(), dtype="str"))
        cases = pd.concat([typed[CASE_COLUMNS], cases], ignore_index=True)
    return accepted.reset_index(drop=True), cases.sort_values(["row", "column"], kind="stable").reset_index(drop=True)


def empty_as_missing(df: pd.DataFrame, columns: dict[str, dict[str, Any]]) -> dict[str, int]:
    """In place: empty or blank text in the contract's text columns becomes missing (contract option
    `empty_is_missing`), the same missing every stack, the server and the batch scorer see.
    Returns how many values each column had."""
    import pandas as pd

    counts = {}
    for c, spec in columns.items():
        if c not in df.columns or spec.get("dtype", "str") not in ("str", "category"):
            continue
        col = df[c]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        blank = col.notna() & col.astype(str).str.strip().eq("")
        if blank.any():
            df[c] = col.astype(object).mask(blank, None)
            counts[c] = int(blank.sum())
    return counts


def _isna(v: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _structural(fc: pd.DataFrame) -> list[str]:
    """Failures no row can be blamed for: a missing column, an unexpected one (strict)."""
    keep = fc[fc["check"].astype(str).isin(["column_in_dataframe", "column_in_schema"])]
    return _describe(keep)


def _mostly_bad(typed: pd.DataFrame, df: pd.DataFrame, limit: float) -> list[str]:
    """Columns where more than `limit` of the present values are not of the contract's type."""
    out = []
    for col, g in typed.groupby("column"):
        present = int((df[col].notna() & df[col].astype(str).str.strip().ne("")).sum())
        n_bad = g["row"].nunique()
        if present and n_bad / present > limit:
            examples = ", ".join(repr(str(v)) for v in g["value"].head(3))
            out.append(f"{col}: {g['check'].iloc[0]} fails for {n_bad} of {present} values (e.g. {examples})")
    return out


def _uncoercible(row_level: pd.DataFrame, df: pd.DataFrame, limit: float) -> list[str]:
    out = []
    coerce = row_level[row_level["check"].astype(str).str.startswith("coerce_dtype")]
    for (col, check), g in coerce.groupby(["column", "check"]):
        non_null = int(df[col].notna().sum()) if col in df.columns else 0
        n_bad = g["index"].nunique()
        if non_null and n_bad / non_null > limit:
            examples = ", ".join(repr(str(v)) for v in g["failure_case"].head(3))
            out.append(f"{col}: {check} fails for {n_bad} of {non_null} values (e.g. {examples})")
    return out


def _describe(fc: pd.DataFrame) -> list[str]:
    items = []
    for r in fc.itertuples():
        col = r.column if isinstance(r.column, str) else r.failure_case
        items.append(f"{col}: {r.check} ({r.failure_case})")
    return list(dict.fromkeys(items))


def _raise_column_failures(items: list[str]) -> None:
    if items:
        raise MlbpError(f"{len(items)} column-level contract failure(s):\n  " + "\n  ".join(items),
                        reason=Reason.CONTRACT, key="contract.columns",
                        fix="fix the source or the contract; these cannot be quarantined row by row")


def top_reasons(cases: pd.DataFrame, n_unparsed: int, k: int = 5) -> list[dict[str, Any]]:
    counts = cases.groupby(["column", "check"])["row"].nunique()
    if n_unparsed:
        counts.loc[("*", "parse")] = n_unparsed
    top = counts.sort_values(ascending=False, kind="stable").head(k)
    return [{"column": c, "check": ch, "rows": int(v)} for (c, ch), v in top.items()]


class Validate(Stage):
    """Checks `raw` against the contract; makes `clean` and `quarantine`, governed for `team`."""

    needs: ClassVar[tuple[str, ...]] = ("raw",)
    makes: ClassVar[tuple[str, ...]] = ("clean", "quarantine")

    def __init__(self, columns: dict[str, dict[str, Any]], checks: dict[str, Any] | None = None,
                 max_quarantine_share: float = 0.05, strict: bool | str = False, name: str = "contract",
                 governance: dict[str, Any] | None = None, team: str | None = None,
                 coerce_limit: float = 0.5, empty_is_missing: bool = False) -> None:
        self.columns = columns
        self.empty_is_missing = bool(empty_is_missing)
        self.checks = checks or {}
        self.max_quarantine_share = max_quarantine_share
        self.strict = strict
        self.name = name
        self.governance = governance or {}
        self.team = team
        self.coerce_limit = coerce_limit

    def run(self, ctx: StageContext) -> None:
        import pandas as pd

        raw = read_frame(ctx.input("raw"))
        emptied = empty_as_missing(raw, self.columns) if self.empty_is_missing else {}
        unparsed = (read_frame(ctx.input("raw"), UNPARSED_FILE) if (ctx.input("raw") / UNPARSED_FILE).exists()
                    else pd.DataFrame(columns=["line", "text", "reason"]))
        policy = Policy.from_spec(self.governance, classifications(self.columns))
        team = self.team or ""
        if policy.enabled:
            policy.rule(team, "")  # an undeclared team is refused before any data is written
        schema = build_schema(self.columns, self.strict)
        accepted, cases = find_failures(raw, schema, self.coerce_limit, self.columns)
        cases = mask_cases(cases, policy, team)
        quarantined = quarantine_frame(raw, cases, policy, team)
        if len(unparsed):
            quarantined = pd.concat([unparsed_frame(unparsed, list(raw.columns), policy, team), quarantined],
                                    ignore_index=True)
        n_in = len(raw) + len(unparsed)
        n_ok, n_bad = len(accepted), len(quarantined)
        if n_in != n_ok + n_bad:
            raise MlbpError(f"rows do not reconcile: {n_in} in, {n_ok} accepted, {n_bad} quarantined",
                            reason=Reason.CONTRACT, key=f"pipeline.stages.{ctx.stage}")
        share = n_bad / n_in if n_in else 0.0
        summary = {"contract": self.name, "rows_in": n_in, "rows_accepted": n_ok, "rows_quarantined": n_bad,
                   "rows_unparseable": len(unparsed), "quarantine_share": round(share, 6),
                   "top_reasons": top_reasons(cases, len(unparsed)), "team": team or None,
                   "empty_as_missing": emptied,
                   "governed_columns": ({c: r for c, r in policy.decisions(team, raw.columns).items() if r != "allow"}
                                        if policy.enabled else {})}
        if share > self.max_quarantine_share:
            kept = ctx.run_dir / "quarantine"  # the stage's outputs are discarded on failure: keep the evidence
            kept.mkdir(parents=True, exist_ok=True)
            write_frame(quarantined, kept)  # governed like the quarantine artifact
            write_frame(cases, kept, "failures.parquet")
            write_json(summary, kept, "validation.json")
            reasons = ", ".join(f"{r['column']}/{r['check']}: {r['rows']}" for r in summary["top_reasons"])
            raise MlbpError(f"{n_bad} of {n_in} rows ({share:.1%}) failed the contract; top reasons: {reasons}",
                            reason=Reason.QUARANTINE_LIMIT, key="contract.max_quarantine_share",
                            expected=f"<= {self.max_quarantine_share:.1%}", got=f"{share:.1%}",
                            fix=f"fix the source data or relax the contract; the rows and their reasons are in {kept}")
        check_dataset(accepted, self.checks)
        clean = policy.apply(accepted, team)[0] if policy.enabled else accepted
        write_frame(clean, ctx.output("clean"))
        write_json(summary, ctx.output("clean"), "validation.json")
        write_frame(quarantined, ctx.output("quarantine"))
        write_frame(cases, ctx.output("quarantine"), "failures.parquet")
        write_json(summary, ctx.output("quarantine"), "validation.json")
        ctx.note(rows_in=n_in, accepted=n_ok, quarantined=n_bad)
