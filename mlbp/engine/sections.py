"""Config sections as typed objects.

A section (`deploy.batch`, `deploy.rest`, …) is handed whole to the object that uses it, as one
of these models: every key it holds is a field that object reads, so a misspelt key is an error
with a did-you-mean instead of a setting that silently does nothing, and a value of the wrong
kind is refused naming its key before any work starts.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, TypeVar, get_args

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
    if err["type"] == "extra_forbidden":
        name = str(err["loc"][-1])
        fields = _fields_at(cls, err["loc"][:-1])
        near = difflib.get_close_matches(name, fields, n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        return MlbpError(f"unknown key '{name}'{hint}{more}", reason=Reason.UNKNOWN_KEY, key=f"{key}.{where}",
                         expected=fields, got=name)
    value = err.get("input")
    # a scalar is shown; a whole entry is not (it may hold a secret, as an API key entry does)
    shown = repr(value) if isinstance(value, str | int | float | bool) and "key" not in where else None
    return MlbpError(f"{err['msg']}" + (f", got {shown}" if shown is not None else "") + more, key=f"{key}.{where}")


def _fields_at(cls: type[Section], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the section nested at `loc` (through dict and list entries), for a
    did-you-mean on a nested key such as deploy.rest.variants.<name>.wieght."""
    current: Any = cls
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        current = _section_in(current)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _section_in(annotation: Any) -> Any:
    """The Section class inside dict[str, X | None] / list[X] / X | None, else the annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _section_in(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation
