"""Build a pandera DataFrameSchema from a contract spec (the `contract` config group).

The spec is plain data, separate from the code that checks it (pandera's habit)::

    columns:
      visits_90d: {dtype: int, min: 0, max: 365}
      region:     {dtype: str, allowed: [north, south]}
      email:      {dtype: str, regex: '^[^@\\s]+@[^@\\s]+\\.[a-z]+$', pii: true}
      offer_id:   {dtype: str, unique: true}
    checks: {min_rows: 1000, target: redeemed, max_null_share: {avg_ticket: 0.1}}

Column checks are row-level (a failing row is quarantined); `checks` are dataset-level and are
judged on the accepted rows (see `mlbp.contracts.dataset_checks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlbp.engine.errors import MlbpError, Reason

if TYPE_CHECKING:
    import pandera.pandas as pa

DTYPES: dict[str, Any] = {
    "int": "Int64",  # nullable integer: a missing count is a null, not a float
    "float": "float64",
    "str": "str",
    "bool": "boolean",
    "datetime": "datetime64[ns]",
    "category": "str",
}
COLUMN_KEYS = {"dtype", "nullable", "min", "max", "allowed", "regex", "unique", "required", "pii",
               "description", "classification"}


def classifications(columns: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Column classes declared in the contract (`pii: true` or `classification: sensitive`)."""
    out = {}
    for name, spec in (columns or {}).items():
        spec = dict(spec or {})
        if spec.get("classification"):
            out[name] = str(spec["classification"])
        elif spec.get("pii"):
            out[name] = "pii"
    return out


def build_schema(columns: dict[str, dict[str, Any]], strict: bool | str = False) -> pa.DataFrameSchema:
    import pandera.pandas as pa  # here, not at import: building the run graph must stay cheap

    """Every problem in the spec is reported at once, each naming its `contract.columns.<col>` key."""
    problems = []
    cols = {}
    for name, spec in columns.items():
        key = f"contract.columns.{name}"
        spec = dict(spec or {})
        unknown = set(spec) - COLUMN_KEYS
        if unknown:
            problems.append(f"{key}: unknown keys {sorted(unknown)} (known: {sorted(COLUMN_KEYS)})")
        dtype = spec.get("dtype", "str")
        if dtype not in DTYPES:
            problems.append(f"{key}.dtype: expected one of {sorted(DTYPES)}, got {dtype!r}")
            continue
        checks = []
        if spec.get("min") is not None:
            checks.append(pa.Check.ge(spec["min"]))
        if spec.get("max") is not None:
            checks.append(pa.Check.le(spec["max"]))
        if spec.get("allowed") is not None:
            checks.append(pa.Check.isin(list(spec["allowed"])))
        if spec.get("regex"):
            checks.append(pa.Check.str_matches(spec["regex"]))
        cols[name] = pa.Column(
            DTYPES[dtype],
            checks=checks,
            nullable=bool(spec.get("nullable", False)),
            unique=bool(spec.get("unique", False)),
            report_duplicates="exclude_first",
            required=bool(spec.get("required", True)),
            coerce=True,
            description=spec.get("description"),
        )
    if problems:
        raise MlbpError("the contract spec is invalid:\n  " + "\n  ".join(problems), reason=Reason.CONTRACT,
                        key="contract.columns")
    return pa.DataFrameSchema(cols, strict=strict, coerce=True)
