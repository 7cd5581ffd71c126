"""Config sections as typed objects.

A section (`deploy.batch`, `deploy.rest`, …) is handed whole to the object that uses it, as one
of these models: every key it holds is a field that object reads, so a misspelt key is an error
with a did-you-mean instead of a setting that silently does nothing, and a value of the wrong
kind is refused naming its key before any work starts.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from mlbp.engine.errors import MlbpError, Reason


class Section(BaseModel):
    """Base of typed config sections: unknown keys refused, values checked, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


S = TypeVar("S", bound=Section)


def load_section(cls: type[S], values: Any, key: str, moved: Mapping[str, str] | None = None) -> S:
    """`values` (a dict, a DictConfig or a model already) as `cls`; `key` names the section in
    errors. `moved`: keys that now live elsewhere -> where, so an old config gets told where."""
    if isinstance(values, cls):
        return values
    values = _plain(values)
    if not isinstance(values, Mapping):
        raise MlbpError("a config section must be a mapping", key=key, expected="key: value pairs",
                        got=type(values).__name__)
    for k in values:
        if moved and k in moved:
            raise MlbpError(f"'{k}' moved to {moved[k]}", reason=Reason.UNKNOWN_KEY, key=f"{key}.{k}",
                            fix=f"set {moved[k]} instead")
    try:
        return cls.model_validate(dict(values))
    except ValidationError as exc:
        raise _error(cls, exc, key) from None


def _plain(values: Any) -> Any:
    """None is an empty section. (Callers hand over plain containers: the compose layer resolves
    OmegaConf nodes, and stages are instantiated with `_convert_="all"`.)"""
    return {} if values is None else values


def _error(cls: type[Section], exc: ValidationError, key: str) -> MlbpError:
    """The first problem as one MlbpError naming the key (and how many more there are)."""
    errors = exc.errors()
    err = errors[0]
    where = ".".join(str(p) for p in err["loc"])
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    fields = list(cls.model_fields)
    if err["type"] == "extra_forbidden":
        near = difflib.get_close_matches(where, fields, n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        return MlbpError(f"unknown key '{where}'{hint}{more}", reason=Reason.UNKNOWN_KEY, key=f"{key}.{where}",
                         expected=fields, got=where)
    return MlbpError(f"{err['msg']}{more}", key=f"{key}.{where}", got=repr(err.get("input")))
