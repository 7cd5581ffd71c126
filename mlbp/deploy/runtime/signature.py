"""Strict input checks against a bundle's signature, for the server (rows) and the batch scorer
(frames). Nothing is coerced silently: `false` is not a number, `"3"` is not an int, `3.5` is
not an int; each problem names the column (and row) so the client can fix its request.

Policies (config `deploy.rest.unknown_category`, `deploy.rest.extra_columns`):
  unknown_category: reject | score    a row holding an unseen category is refused on its own
                                      (the other rows are scored), or scored as the model's
                                      category policy says (the "other" level, or missing);
                                      `error` and `missing` are their former names
  extra_columns:    error | ignore    a column the model does not use is a 422, or is dropped
"""

from __future__ import annotations

import math
from typing import Any

from mlbp.engine.errors import MlbpError, Reason

UNKNOWN = ("reject", "score")
UNKNOWN_ALIASES = {"error": "reject", "missing": "score"}
EXTRA = ("error", "ignore")
SHOWN_CATEGORIES = 5  # an error names this many known categories, never the whole list


def unknown_policy(value: str, key: str = "deploy.rest.unknown_category") -> str:
    """The policy's canonical name (`reject` | `score`); the former names are accepted."""
    policy = UNKNOWN_ALIASES.get(value, value)
    if policy not in UNKNOWN:
        raise MlbpError("unknown policy", key=key, expected=" | ".join(UNKNOWN), got=value)
    return policy


def unknown_category_message(column: str, value: Any, allowed: frozenset[str], row: int | None = None) -> str:
    """Short whatever the column: the value, how many categories the model knows, a few of them."""
    where = f"column '{column}'" + (f" row {row}" if row is not None else "")
    known = sorted(allowed)
    sample = ", ".join(repr(k) for k in known[:SHOWN_CATEGORIES]) + (", ..." if len(known) > SHOWN_CATEGORIES else "")
    shown = value if len(str(value)) <= 80 else f"{str(value)[:77]}..."
    return f"{where}: unknown category {shown!r}; the model knows {len(known):,} (e.g. {sample})"


class InputError(MlbpError):
    """A client's mistake: becomes a 4xx response naming `field`."""

    def __init__(self, message: str, field: str | None = None, status: int = 422, **kw: Any) -> None:
        super().__init__(message, reason=Reason.INPUT, key=field, **kw)
        self.field = field
        self.status = status

    def __str__(self) -> str:
        return self.message


class Checked(dict[str, list[Any]]):
    """Validated columns in the model's order, and the rows refused one by one (row -> error):
    a row with a category the model never saw, under `unknown_category=reject`. Its values are
    kept (as missing) so the columns stay aligned; the server scores the other rows only."""

    def __init__(self) -> None:
        super().__init__()
        self.rejected: dict[int, InputError] = {}


class InputChecker:
    """Validates columnar input ({column: [values]}) and returns it in the model's column order."""

    def __init__(self, signature: dict[str, Any], unknown_category: str = "reject", extra_columns: str = "ignore",
                 passthrough: tuple[str, ...] = ()) -> None:
        unknown_category = unknown_policy(unknown_category)
        if extra_columns not in EXTRA:
            raise MlbpError("unknown policy", key="deploy.rest.extra_columns", expected=" | ".join(EXTRA),
                            got=extra_columns)
        self.signature = signature
        self.unknown_category = unknown_category
        self.extra_columns = extra_columns
        self.passthrough = set(passthrough)  # e.g. the id column: allowed, not a feature
        self.features: list[str] = list(signature["numeric"]) + list(signature["categorical"])
        self.specs: dict[str, dict[str, Any]] = signature["inputs"]
        self.allowed = {c: frozenset(self.specs[c].get("categories") or ()) for c in signature["categorical"]}
        self.empty_is_missing = bool(signature.get("empty_is_missing"))  # the contract's rule for "" and blanks

    # ---- rows (the server) -------------------------------------------------------------------
    def records(self, records: Any, where: str = "records") -> Checked:
        """A list of {column: value} objects -> validated columns."""
        if not isinstance(records, list) or not records:
            raise InputError(f"'{where}' must be a non-empty list of objects", field=where, status=400)
        cols: dict[str, list[Any]] = {c: [] for c in self.features}
        for i, rec in enumerate(records):
            if not isinstance(rec, dict):
                raise InputError(f"{where}[{i}] must be an object of column -> value, got {type(rec).__name__}",
                                 field=f"{where}[{i}]", status=400)
            for c in self.features:
                if c not in rec:
                    raise InputError(f"missing column '{c}' in {where}[{i}]", field=c)
                cols[c].append(rec[c])
            if len(rec) != len(self.features):
                self._extra([k for k in rec if k not in self.specs], where)
        return self.columns(cols, len(records))

    def columns(self, cols: dict[str, Any], n: int | None = None, where: str = "inputs") -> Checked:
        """{column: [values]} -> validated columns (same lengths, model order)."""
        missing = [c for c in self.features if c not in cols]
        if missing:
            raise InputError(f"missing column '{missing[0]}'" + (f" (and {len(missing) - 1} more)" if len(missing) > 1
                                                                 else ""), field=missing[0],
                             expected=self.features, got=sorted(cols))
        self._extra([k for k in cols if k not in self.specs], where)
        out = Checked()
        for c in self.features:
            vals = cols[c]
            if not isinstance(vals, list):
                raise InputError(f"column '{c}' must be a list of values, got {type(vals).__name__}", field=c,
                                 status=400)
            if n is None:
                n = len(vals)
            if len(vals) != n or n == 0:
                raise InputError(f"column '{c}' has {len(vals)} values, expected {n} (every column the same, "
                                 "at least one row)", field=c)
            out[c] = self._numeric(c, vals) if self.specs[c]["kind"] == "numeric" \
                else self._category(c, vals, out.rejected)
        return out

    def _extra(self, extra: list[str], where: str) -> None:
        extra = [k for k in extra if k not in self.passthrough]
        if extra and self.extra_columns == "error":
            raise InputError(f"unknown column '{extra[0]}' in {where}; the model takes {self.features}",
                             field=str(extra[0]), fix="drop it, or set deploy.rest.extra_columns=ignore")

    def _numeric(self, c: str, vals: list[Any]) -> list[Any]:
        spec = self.specs[c]
        is_int = spec.get("dtype") == "int"
        is_bool = spec.get("dtype") == "bool"
        nullable = spec.get("nullable", True)
        lo, hi = spec.get("min"), spec.get("max")
        for i, v in enumerate(vals):
            t = type(v)
            if is_bool:
                if t is bool:
                    continue  # a boolean column takes JSON true/false and nothing else
                if v is None and nullable:
                    continue
                raise InputError(f"column '{c}' row {i}: expected true or false, got {_json_type(v)} {v!r}",
                                 field=c)
            if t is int or t is float:
                if t is float and (math.isnan(v) or math.isinf(v)):
                    raise InputError(f"column '{c}' row {i}: expected a finite number, got {v}", field=c)
                if is_int and not is_integral(v):
                    raise InputError(f"column '{c}' row {i}: expected an integer, got {v}", field=c)
                if (lo is not None and v < lo) or (hi is not None and v > hi):
                    raise InputError(f"column '{c}' row {i}: {v} is outside [{lo}, {hi}]", field=c)
            elif v is None:
                if not nullable:
                    raise InputError(f"column '{c}' row {i}: null is not allowed", field=c)
            else:
                raise InputError(f"column '{c}' row {i}: expected {'an integer' if is_int else 'a number'}, got "
                                 f"{_json_type(v)} {v!r}", field=c)
        return vals

    def _category(self, c: str, vals: list[Any], rejected: dict[int, InputError]) -> list[Any]:
        allowed = self.allowed[c]
        nullable = self.specs[c].get("nullable", True)
        if self.empty_is_missing and any(type(v) is str and not v.strip() for v in vals):
            vals = [None if type(v) is str and not v.strip() else v for v in vals]
        fixed = None
        for i, v in enumerate(vals):
            if type(v) is str:
                if allowed and v not in allowed and self.unknown_category == "reject":
                    if i not in rejected:
                        rejected[i] = InputError(unknown_category_message(c, v, allowed, i), field=c,
                                                 fix="send a known category, or set "
                                                     "deploy.rest.unknown_category=score to score it as unseen")
                    if fixed is None:
                        fixed = list(vals)
                    fixed[i] = None  # the row is not scored; its columns stay aligned
                # under `score` an unseen value goes to the model as it is: its category policy
                # (mlbp.stacks.category_policy) answers it as "other"
            elif v is None:
                if not nullable:
                    raise InputError(f"column '{c}' row {i}: null is not allowed", field=c)
            else:
                raise InputError(f"column '{c}' row {i}: expected a string, got {_json_type(v)} {v!r}", field=c)
        return vals if fixed is None else fixed


def is_integral(v: Any) -> bool:
    """The one rule for "is an integer" on every protocol: an int, or a float with no fraction
    (JSON has one number type, so 3500.0 from a client's float column is 3500); never a bool."""
    return type(v) is int or (type(v) is float and v.is_integer())


def _json_type(v: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(v), type(v).__name__)

