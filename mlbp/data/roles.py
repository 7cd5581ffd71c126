"""Column roles: what a careful data scientist decides about each column of a new table, with the
reason, before anything is trained (used by `mlbp init`).

    target      the column to predict
    id          near-unique keys (customer ids, loan ids): kept as the row id, never a feature;
                `repeats` when several rows share one (then the group split keeps them together)
    time        real dates, dates as text (ISO, with or without a zone, US and European day order,
                "Jan 31, 2024"), epoch seconds in a column named like a time
    personal    emails, phone numbers, names, postal codes: classified for governance (masked or
                denied), never a raw feature
    constant    empty or a single value: dropped
    leak        one column that predicts the target almost perfectly, or whose name says it is
                recorded after the outcome: excluded unless kept on purpose (the score is the one
                assess's leakage check computes, mlbp.data.signals)
    feature     everything else, as numeric, boolean or categorical (numeric codes named like
                codes, e.g. product codes, are categories)

Rules look at a sample (SAMPLE_ROWS) for patterns and at the whole column for counts, so a
million rows take seconds.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from mlbp.data.signals import AFTER_NAME, leak_reason, single_column_scores

if TYPE_CHECKING:
    import pandas as pd

SAMPLE_ROWS = 20_000
ID_UNIQUE = 0.95          # distinct share at or above which a text or integer column is a key
ID_NAMED_UNIQUE = 0.05    # ... or this (and over ID_NAMED_MIN values), for a column named like an id: it repeats
ID_NAMED_MIN = 100
PATTERN_SHARE = 0.9       # share of sampled values that must match a personal-data pattern
LEAK_SCORE = 0.98         # single-column AUC (or |rank correlation|) that marks a leak suspect

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")
PERSON_NAME = re.compile(r"^[^\W\d_][^\W\d_'-]*(?: [^\W\d_][^\W\d_'-]*){0,3}$")  # letters of any script
ID_NAME = re.compile(r"(^|_)(id|uuid|guid|key|ref|number|no)$|^(id|uuid|guid|rownames|index)$", re.I)
NAME_NAME = re.compile(r"(^|_)(name|first_?name|last_?name|full_?name|surname|given_?name)$", re.I)
POSTAL_NAME = re.compile(r"(^|_)(zip|zip_?code|postcode|postal_?code|post_?code)$", re.I)
PHONE_NAME = re.compile(r"(^|_)(phone|mobile|tel|telephone|cell)(_?number)?$", re.I)
TIME_NAME = re.compile(r"(^|_)(time|date|ts|timestamp|at|on|when|day|datetime)$|_(at|on|date|time)$", re.I)
CODE_NAME = re.compile(r"(^|_)(code|sku|zip|type|category|class|group|segment)$", re.I)
EPOCH_RANGE = (946_684_800, 2_524_608_000)  # 2000-01-01 .. 2050-01-01 in seconds


@dataclass
class ColumnRole:
    column: str
    role: str                      # target | id | time | personal | constant | leak | feature
    reason: str
    kind: str = ""                 # feature: numeric | boolean | categorical; personal: email | phone | name | postal
    repeats: bool = False          # id: several rows share a value
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", False, {}, None)}


def assign_roles(df: pd.DataFrame, target: str, task: str | None = None,
                 overrides: dict[str, list[str]] | None = None) -> list[ColumnRole]:
    """One role per column, in table order. `overrides` ({role: [columns]}) wins over every rule."""
    sample = df.sample(n=SAMPLE_ROWS, random_state=0) if len(df) > SAMPLE_ROWS else df
    forced = {c: r for r, cols in (overrides or {}).items() for c in (cols or [])}
    out = []
    for col in df.columns:
        name = str(col)
        if name in forced:
            out.append(ColumnRole(name, forced[name], f"set on the command line (roles.{forced[name]})",
                                  kind=_feature_kind(df[col], name) if forced[name] == "feature" else ""))
        elif name == target:
            out.append(ColumnRole(name, "target", "the column to predict"))
        else:
            out.append(_role(df[col], sample[col], name, sample[target] if target in df.columns else None, task))
    return out


def _role(full: pd.Series, sample: pd.Series, name: str, y: pd.Series | None, task: str | None) -> ColumnRole:
    """`y` is the target on the sample's rows (the leak score runs on the sample)."""
    import pandas as pd

    present = full.dropna()
    if present.empty:
        return ColumnRole(name, "constant", "every value is missing")
    distinct = int(present.nunique())
    if distinct == 1:
        return ColumnRole(name, "constant", f"a single value ({present.iloc[0]!r})")
    time = _time_reason(full, sample, name)
    if time:
        return ColumnRole(name, "time", time)
    personal = _personal(sample, name)
    if personal:
        return ColumnRole(name, "personal", personal[1], kind=personal[0])
    unique_share = distinct / len(present)
    keylike = pd.api.types.is_integer_dtype(full) or (not pd.api.types.is_numeric_dtype(full)
                                                      and not pd.api.types.is_bool_dtype(full))
    if keylike and unique_share >= ID_UNIQUE and distinct > 20:
        return ColumnRole(name, "id", f"{unique_share:.0%} of values are distinct: a key, not a feature")
    if keylike and ID_NAME.search(name) and unique_share >= ID_NAMED_UNIQUE and distinct > ID_NAMED_MIN:
        per = len(present) / distinct
        return ColumnRole(name, "id", f"named like an id, {distinct:,} values for {len(present):,} rows "
                                      f"({per:.1f} rows each): rows of one id belong together", repeats=True)
    score = None
    if y is not None and task and not AFTER_NAME.search(name):  # the detector assess's leakage check uses
        frame = pd.DataFrame({"x": sample.to_numpy(), "y": y.to_numpy()})
        score = single_column_scores(frame, "y", task, ["x"]).get("x")
    leak = leak_reason(name, score, LEAK_SCORE)
    if leak:
        return ColumnRole(name, "leak", leak, extra={"score": round(score, 4)} if score is not None else {})
    kind = _feature_kind(full, name)
    why = {"numeric": "numbers", "boolean": "true/false", "categorical": "categories"}[kind]
    if kind == "categorical" and pd.api.types.is_numeric_dtype(full):
        why = "numeric codes named like codes: categories, not quantities"
    return ColumnRole(name, "feature", why, kind=kind)


def _feature_kind(s: pd.Series, name: str) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(s):
        return "boolean"
    if pd.api.types.is_numeric_dtype(s):
        if pd.api.types.is_integer_dtype(s) and CODE_NAME.search(name):
            return "categorical"
        return "numeric"
    return "categorical"


def _time_reason(full: pd.Series, sample: pd.Series, name: str) -> str | None:
    import pandas as pd

    from mlbp.contracts.infer import looks_like_dates

    if pd.api.types.is_datetime64_any_dtype(full):
        return "a date column"
    if pd.api.types.is_integer_dtype(full) or pd.api.types.is_float_dtype(full):
        values = sample.dropna()
        lo, hi = EPOCH_RANGE
        if TIME_NAME.search(name) and len(values) and values.between(lo, hi).mean() > 0.98:
            return "epoch seconds (named like a time, values between 2000 and 2050)"
        return None
    if looks_like_dates(sample):
        return "dates written as text"
    return None


def _personal(sample: pd.Series, name: str) -> tuple[str, str] | None:
    import pandas as pd

    if POSTAL_NAME.search(name):
        return "postal", "named like a postal code: personal data (locates a person)"
    if pd.api.types.is_numeric_dtype(sample) and not PHONE_NAME.search(name):
        return None
    text = sample.dropna().astype(str).str.strip()
    if text.empty:
        return None
    if text.str.match(EMAIL).mean() >= PATTERN_SHARE:
        return "email", "email addresses"
    digits = text.str.count(r"\d")
    if PHONE_NAME.search(name) or (text.str.match(PHONE).mean() >= PATTERN_SHARE and digits.between(7, 15).mean()
                                   >= PATTERN_SHARE and text.str.contains(r"[\s().+-]").mean() >= PATTERN_SHARE):
        return "phone", "phone numbers"
    if NAME_NAME.search(name) and (text.str.match(PERSON_NAME) & text.str.istitle()).mean() >= 0.8:
        return "name", "people's names"
    return None
