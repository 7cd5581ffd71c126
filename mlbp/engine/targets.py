"""The one `_target_` resolver: what a config may name, and what it gets.

A config-controlled `_target_` can run arbitrary code (Hydra's own docs warn of it), so every
name in every config goes through `resolve` before anything is built, whichever path builds it
(Hydra's instantiate in mlbp.compose, or `build` here for specs a stage builds lazily):

1. The name is on the allow-list: exact names, or prefixes ending in "." (`mlbp.`, `sklearn.`,
   ...; a project adds its own with `allow_targets`).
2. It is looked up the way Hydra looks it up (import the longest module, then attributes), and
   no step passes through a module outside the allow-list: `mlbp.registry.notify.os.system`
   starts with `mlbp.` but reaches `os` through an import, and is refused.
3. What it names is a class whose own `__module__` is on the allow-list: functions (a
   scikit-learn helper that starts a subprocess), modules and re-exports of `os`, `subprocess`
   or `builtins` are refused.
4. Where the key says what kind of object belongs there (a stack's estimator, a pipeline stage,
   a notification sink, a data source, a Hydra callback, ...), the class is of that kind.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from mlbp.engine.errors import MlbpError, Reason

DEFAULT_ALLOWED: tuple[str, ...] = ("mlbp.", "sklearn.", "xgboost.", "lightgbm.")
_extra: list[str] = []


def allow(prefixes: list[str]) -> None:
    """Extend the allow-list for this process (called by compose from `allow_targets`): entries
    ending in "." (or naming a package) are prefixes, `pkg.mod.Class` names one class."""
    for p in prefixes:
        p = str(p)
        if p not in _extra:
            _extra.append(p)


def allowed() -> tuple[str, ...]:
    return DEFAULT_ALLOWED + tuple(_extra)


def on_list(name: str, entries: tuple[str, ...] | None = None) -> bool:
    """`name` is an exact entry, under a prefix entry ("pkg."), or under a package entry ("pkg")."""
    for e in entries if entries is not None else allowed():
        if name == e.rstrip(".") or name.startswith(e if e.endswith(".") else f"{e}."):
            return True
    return False


@dataclass(frozen=True)
class Kind:
    """What belongs under keys matching `pattern`: a class passing `check`, described for errors."""

    pattern: str
    what: str
    check: Callable[[type], bool]


def _has(*methods: str) -> Callable[[type], bool]:
    return lambda cls: all(callable(getattr(cls, m, None)) for m in methods)


def _subclass_of(module: str, name: str) -> Callable[[type], bool]:
    """A subclass of module.name, tested by the MRO's names so this module imports neither."""
    return lambda cls: any(c.__module__ == module and c.__name__ == name for c in inspect.getmro(cls))


KINDS: tuple[Kind, ...] = (
    Kind(r"^pipeline\.stages\.[^.]+$", "a pipeline stage class (mlbp.engine.stage.Stage)",
         _subclass_of("mlbp.engine.stage", "Stage")),
    Kind(r"(^|\.)estimator(\.\w+)?$", "an estimator class with fit and predict", _has("fit", "predict")),
    Kind(r"(^|\.)preprocess$", "a preprocessing class with build", _has("build")),
    Kind(r"(^|\.)(source|sources\[\d+\])$", "a data source class with read", _has("read")),
    Kind(r"(^|\.)sinks\[\d+\]$", "a notification sink class with send", _has("send")),
    Kind(r"(^|\.)prediction_log$", "a prediction log class with write and flush", _has("write", "flush")),
    Kind(r"(^|\.)traffic$", "a traffic router class with choose", _has("choose")),
    Kind(r"^monitor\.(drift|quality|performance|sla)$", "a monitor class with run", _has("run")),
    Kind(r"(^|\.)(strategy|split)$", "a split strategy class with split", _has("split")),
    Kind(r"^hydra\.callbacks\.", "a Hydra callback class (hydra.experimental.callback.Callback)",
         _subclass_of("hydra.experimental.callback", "Callback")),
)


def kind_of(key: str) -> Kind | None:
    """The kind of object the config key holds, if the layout says (see KINDS)."""
    bare = re.sub(r"\._target_$", "", key)
    return next((k for k in KINDS if re.search(k.pattern, bare)), None)


def _refuse(target: str, key: str, why: str, expected: str) -> MlbpError:
    return MlbpError(f"'{target}' is not allowed: {why}", reason=Reason.NOT_ALLOWED, key=key, expected=expected,
                     fix="name a class under an allowed prefix; trust a package with `allow_targets`")


def resolve(target: str, key: str = "_target_", entries: tuple[str, ...] | None = None) -> type:
    """The class `target` names, after every check in the module docstring (or MlbpError naming `key`)."""
    entries = entries if entries is not None else allowed()
    listing = f"a class under one of {list(entries)}"
    if not isinstance(target, str) or not on_list(target, entries):
        raise _refuse(str(target), key, "it is not in the allow-list", listing)
    obj = _locate(target, key)
    exact = target in entries  # trusted by its full name: its own package's modules may be passed through
    for hop in obj[1]:
        if not (on_list(hop.__name__, entries) or exact and hop.__name__.split(".")[0] == target.split(".")[0]):
            raise _refuse(target, key, f"it is reached through module '{hop.__name__}', outside the allow-list",
                          listing)
    found = obj[0]
    if not inspect.isclass(found):
        what = "a module" if isinstance(found, ModuleType) else f"a {type(found).__name__}, not a class"
        raise _refuse(target, key, f"it names {what}", listing)
    home = f"{found.__module__}.{found.__qualname__}"
    if not (on_list(home, entries) or exact and home.split(".")[0] == target.split(".")[0]):
        raise _refuse(target, key, f"it is {home}, re-exported from outside the allow-list", listing)
    kind = kind_of(key)
    if kind is not None and not kind.check(found):
        raise _refuse(target, key, f"{key.removesuffix('._target_')} holds {kind.what}", kind.what)
    return found


def _locate(path: str, key: str) -> tuple[Any, list[ModuleType]]:
    """(object, modules passed through) for a dotted path, looked up as Hydra's `_locate` does:
    import the first part, then each next part as an attribute, else as a submodule."""
    parts = [p for p in path.split(".") if p]
    if not parts or len(parts) != len(path.split(".")):
        raise MlbpError(f"'{path}' is not a dotted name", reason=Reason.CONFIG, key=key, got=path)
    try:
        obj: Any = importlib.import_module(parts[0])
    except ImportError as exc:
        raise MlbpError(f"cannot import '{path}': {exc}", reason=Reason.CONFIG, key=key,
                        fix="check the class path and that its library is installed") from exc
    hops: list[ModuleType] = [obj]
    for i, part in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:
                obj = importlib.import_module(".".join(parts[: i + 1]))
            except ImportError as exc:
                raise MlbpError(f"cannot import '{path}': {exc}", reason=Reason.CONFIG, key=key,
                                fix="check the class path and that its library is installed") from exc
        if isinstance(obj, ModuleType) and i < len(parts) - 1:
            hops.append(obj)
    return obj, hops


def locate(target: str, key: str = "_target_") -> Any:
    """The class `target` names (see `resolve`)."""
    return resolve(target, key)


def build(spec: Any, key: str = "") -> Any:
    """Recursively build `{_target_: ..., **params}` dicts (lists and plain values pass through)."""
    if isinstance(spec, dict):
        params = {k: build(v, f"{key}.{k}" if key else k) for k, v in spec.items() if k != "_target_"}
        if "_target_" not in spec:
            return params
        cls = resolve(str(spec["_target_"]), f"{key}._target_" if key else "_target_")
        try:
            return cls(**params)
        except TypeError as exc:
            raise MlbpError(f"cannot build {spec['_target_']}: {exc}", reason=Reason.CONFIG, key=key,
                            fix="check the parameter names") from exc
    if isinstance(spec, list):
        return [build(v, f"{key}[{i}]") for i, v in enumerate(spec)]
    return spec
