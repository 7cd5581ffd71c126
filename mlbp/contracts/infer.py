"""Infer a starting contract from a dataset (like TFX SchemaGen), for the user to edit.

Per column: dtype, nullable, a lower bound of 0 for non-negative numbers, allowed categories
for low-cardinality text, uniqueness for key-like columns, an email regex (and `pii: true`) for
columns of email addresses. Bounds are deliberately loose: a contract inferred from one sample
must not quarantine the next month's honest data.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[A-Za-z]+$"


def looks_like_dates(s: pd.Series) -> bool:
    """Whether a text column holds dates: nearly every value parses, carries a digit and lands in a
    plausible year. The one rule for `mlbp init` and contract inference: month or weekday names
    ("Jan", "Mon") are categories, and numbers ("12", "2024") are numbers, not dates."""
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return False
    sample = s.dropna().astype(str).head(1000)
    if len(sample) == 0 or sample.str.contains(r"\d").mean() < 0.98:
        return False
    if pd.to_numeric(sample, errors="coerce").notna().mean() > 0.95:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed", utc=True)  # zones: one instant each
    return bool(parsed.dt.year.between(1900, 2200).mean() > 0.98)


MOSTLY = 0.98  # the share of values that must be of a type for a text column to be typed as it


def mostly_typed(text: pd.Series) -> tuple[str, pd.Series] | None:
    """("int" | "float" | "bool", the parsed values) when nearly every value of a text column is of
    that type (a CSV column with ten 'yes' among 6,000 counts, or one number past int64, reaches
    pandas as text); None otherwise. Codes with leading zeros ("00123") stay text."""
    if text.empty:
        return None
    lowered = text.str.strip().str.lower()
    if lowered.isin(("true", "false")).mean() >= MOSTLY:
        return "bool", lowered[lowered.isin(("true", "false"))].eq("true")
    if text.str.match(r"^\s*-?0\d").any():
        return None
    num = pd.to_numeric(text, errors="coerce")
    if num.notna().mean() < MOSTLY:
        return None
    num = num.dropna()
    whole = bool((num == num.round()).all())
    in_range = num.abs() < 2**63  # one value past int64 in a column of counts is a bad row, not a float column
    return ("int", num[in_range]) if whole and in_range.all() or whole and in_range.mean() >= MOSTLY \
        else ("float", num)


def infer_column(s: pd.Series, max_categories: int = 30) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    non_null = s.dropna()
    if pd.api.types.is_bool_dtype(s):
        spec["dtype"] = "bool"
    elif pd.api.types.is_integer_dtype(s):
        spec["dtype"] = "int"
    elif pd.api.types.is_float_dtype(s):
        whole = len(non_null) and bool((non_null == non_null.round()).all()) and non_null.abs().max() < 2**53
        spec["dtype"] = "int" if whole and s.isna().any() else "float"  # ints with gaps read as floats
    elif pd.api.types.is_datetime64_any_dtype(s):
        spec["dtype"] = "datetime"
    else:
        text = non_null.astype(str)
        typed = mostly_typed(text)
        if typed is not None:  # a few bad values made the reader keep text: type it, quarantine those rows
            spec["dtype"], non_null = typed
        elif looks_like_dates(text):
            spec["dtype"] = "datetime"
        else:
            spec["dtype"] = "str"
            if len(text) and text.head(1000).str.match(EMAIL_REGEX).mean() > 0.9:
                spec["regex"] = EMAIL_REGEX
                spec["pii"] = True
            else:
                distinct = text.nunique()
                if 0 < distinct <= max_categories and distinct < max(2, len(text) // 20):
                    spec["allowed"] = sorted(text.unique().tolist())
    if spec["dtype"] in ("int", "float") and len(non_null) and float(non_null.min()) >= 0:
        spec["min"] = 0
    if spec["dtype"] in ("int", "str") and "allowed" not in spec and len(non_null) == len(s) and len(s) > 1 \
            and s.is_unique and not spec.get("pii") and pd.api.types.is_dtype_equal(non_null.dtype, s.dtype):
        spec["unique"] = True
    spec["nullable"] = bool(s.isna().any())
    return spec


def infer_contract(df: pd.DataFrame, name: str, target: str | None = None, max_categories: int = 30,
                   max_quarantine_share: float = 0.05) -> dict[str, Any]:
    columns = {str(c): infer_column(df[c], max_categories) for c in df.columns}
    checks: dict[str, Any] = {"min_rows": max(1, min(1000, len(df) // 10))}
    if target and target in df.columns:
        checks["target"] = target
        columns[target]["nullable"] = False
    return {"name": name, "max_quarantine_share": max_quarantine_share, "strict": False, "checks": checks,
            "columns": columns}


def contract_yaml(contract: dict[str, Any], header: str) -> str:
    """The contract as YAML, one flow-style line per column so it reads like a table."""
    import yaml

    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines += [
        "# Each column: dtype (int|float|str|bool|datetime), nullable, min, max, allowed, regex, unique, pii.",
        f"name: {contract['name']}",
        f"max_quarantine_share: {contract['max_quarantine_share']}   # more failing rows than this fails the run",
        f"strict: {str(contract['strict']).lower()}                  # true: extra columns fail",
        f"empty_is_missing: {str(contract.get('empty_is_missing', False)).lower()}        "
        "# true: empty or blank text is a missing value (train, serve, batch alike)",
        "checks: " + yaml.safe_dump(contract["checks"], default_flow_style=True, width=1000).strip(),
        "columns:",
    ]
    for col, spec in contract["columns"].items():
        flow = yaml.safe_dump(spec, default_flow_style=True, sort_keys=False, width=10_000).strip()
        lines.append(f"  {yaml.safe_dump(col, default_style=None).strip().removesuffix('...').strip()}: {flow}")
    return "\n".join(lines) + "\n"
