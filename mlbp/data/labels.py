"""Class labels of any type (`Yes`/`No`, `good`/`bad`, booleans, `1`/`2`, `VF`/`F`/`M`/`L`): encoded
once at training into the integer codes every estimator and metric uses, kept in the model's
info and the bundle, and decoded back wherever an answer leaves mlbp.

Binary: code 1 is the *positive* class, the one `probability` is about. It is declared
(`positive_label`), or chosen by a stated rule: the one class named like a positive (yes, true,
1, positive, y, t, case-insensitive), else the minority class. Multiclass: codes follow the
labels' natural order (numbers by value, text alphabetically).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mlbp.engine.errors import MlbpError, Reason

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

POSITIVE_WORDS = ("yes", "true", "1", "positive", "y", "t")


def label_key(value: Any) -> str:
    """How labels are matched: `1`, `1.0`, `"1"` and `np.int64(1)` are one label; `True` is `"True"`."""
    import numpy as np

    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def label_keys(values: Any) -> pd.Series:
    """`label_key` of every value, computed once per distinct value (a million labels hold two)."""
    import numpy as np
    import pandas as pd

    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.infer_dtype(s, skipna=True).startswith("mixed"):  # factorize would merge True with 1
        keys = [None if v is None or v != v else label_key(v) for v in s.to_numpy(dtype=object)]
        return pd.Series(np.array(keys + [None], dtype=object)[:-1], index=s.index, dtype=object)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    keys = pd.Series([label_key(u) for u in uniques] + [None], dtype=object).to_numpy()
    return pd.Series(keys[codes], index=s.index, dtype=object)  # code -1 (missing) picks the trailing None


def _plain(value: Any) -> Any:
    """A label as a JSON-able Python value (numpy scalars become int/float/bool)."""
    import numpy as np

    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _natural(values: Iterable[Any]) -> list[Any]:
    vals = list(values)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
        return sorted(vals)
    return sorted(vals, key=label_key)


class Labels:
    """The encoding of one model's classes (see module docstring)."""

    def __init__(self, classes: list[Any], positive: Any = None, rule: str | None = None) -> None:
        self.classes = [_plain(c) for c in classes]  # code i <-> classes[i]
        self.positive = _plain(positive) if positive is not None else None
        self.rule = rule
        self._codes = {label_key(c): i for i, c in enumerate(self.classes)}
        self._table: np.ndarray | None = None

    @classmethod
    def learn(cls, y: pd.Series, task: str, positive: Any = None, where: str = "target") -> Labels:
        """The encoding for these training labels; `positive` declares the positive class (binary)."""
        values = y.dropna()
        if values.empty:
            raise MlbpError(f"'{where}' has no labels", reason=Reason.INPUT, key="target",
                            expected="at least two classes", got="only missing values")
        firsts: dict[str, Any] = {}
        for v in values.unique():
            firsts.setdefault(label_key(v), _plain(v))
        classes = _natural(firsts.values())
        if task != "binary":
            return cls(classes)
        if len(classes) != 2:
            raise MlbpError(f"a binary target has two classes; '{where}' has {len(classes)}", reason=Reason.INPUT,
                            key="task", expected="2 classes (or task=multiclass)", got=classes[:10])
        counts = label_keys(values).value_counts()
        if positive is not None:
            if label_key(positive) not in firsts:
                raise MlbpError("positive_label is not one of the target's classes", reason=Reason.CONFIG,
                                key="positive_label", expected=classes, got=positive)
            pos, rule = firsts[label_key(positive)], "declared (positive_label)"
        else:
            named = [c for c in classes if label_key(c).lower() in POSITIVE_WORDS]
            if len(named) == 1:
                pos, rule = named[0], f"named like a positive ('{label_key(named[0])}')"
            else:
                minority = min(classes, key=lambda c: (counts[label_key(c)], -classes.index(c)))
                share = counts[label_key(minority)] / len(values)
                pos, rule = minority, f"the minority class ({share:.0%} of rows)"
        negative = next(c for c in classes if c != pos)
        return cls([negative, pos], pos, rule)

    def encode(self, y: Any, where: str = "target") -> np.ndarray:
        """Labels -> int64 codes; a label the model never saw is an error naming it."""
        import numpy as np

        keys = label_keys(y)
        codes = keys.map(self._codes)
        if codes.isna().any():
            unknown = sorted({str(k) for k in keys[codes.isna()]})[:5]
            raise MlbpError(f"'{where}' holds label(s) the model was not trained on: {unknown}", reason=Reason.INPUT,
                            key="target", expected=self.classes, got=unknown)
        return codes.to_numpy(dtype=np.int64)

    def codes_or_unknown(self, y: Any) -> np.ndarray:
        """Labels -> int64 codes, -1 for a label the model does not know (feedback may hold typos)."""
        import numpy as np
        import pandas as pd

        keys = pd.Series(np.asarray(y, dtype=object)).map(lambda v: None if v is None or v != v else label_key(v))
        return keys.map(self._codes).fillna(-1).to_numpy(dtype=np.int64)

    def knows(self, value: Any) -> bool:
        return label_key(value) in self._codes

    def decode(self, codes: Any) -> np.ndarray:
        """int codes -> the user's labels: an int64, bool or float array when the labels are those,
        else an object array of Python strings (what JSON encoders and Parquet writers take)."""
        import numpy as np

        return self.table()[np.asarray(codes, dtype=np.int64)]

    def table(self) -> np.ndarray:
        if self._table is None:
            self._table = self._make_table()
        return self._table

    def _make_table(self) -> np.ndarray:
        import numpy as np

        if all(isinstance(c, bool) for c in self.classes):
            return np.asarray(self.classes, dtype=bool)
        if all(isinstance(c, int) and not isinstance(c, bool) for c in self.classes):
            return np.asarray(self.classes, dtype=np.int64)
        if all(isinstance(c, int | float) and not isinstance(c, bool) for c in self.classes):
            return np.asarray(self.classes, dtype=np.float64)
        table = np.empty(len(self.classes), dtype=object)
        table[:] = [str(c) for c in self.classes]
        return table

    def dtype(self) -> str:
        """The answer's type for schemas: int | bool | float | str."""
        kind = self.table().dtype.kind
        return {"i": "int", "b": "bool", "f": "float"}.get(kind, "str")

    def to_dict(self) -> dict[str, Any]:
        return {"classes": self.classes, "positive": self.positive, "rule": self.rule}

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> Labels:
        """From a model's info or a bundle's signature; models from before labels were kept had
        integer classes that were their own codes."""
        labels = info.get("labels")
        if labels:
            return cls(labels["classes"], labels.get("positive"), labels.get("rule"))
        classes = info.get("classes") or [0, 1]
        return cls(classes, classes[-1] if info.get("task") == "binary" else None, "integer classes")
