"""The category policy learnt at training: which levels of each categorical column the model
keeps, and what every other value means.

A level is kept when it appears at least `min_frequency` times in the training rows (a count,
or a share of the rows when below 1), up to the `max_categories` most frequent. Every other value,
rare at training or never seen at all, becomes one level, OTHER, so the model learns one answer
for "a value we know little about" and an unseen value at serving time gets that answer, not an
error and not a silent "missing". Missing stays missing.

Every categorical encoding (one-hot, ordinal, native, target) runs after this step, so a
4,000-level column costs at most `max_categories` + 1 levels downstream. It maps each column
independently, value by value, so the serving fast path can still probe it (compiled.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

OTHER = "__other__"


class CategoryPolicy(TransformerMixin, BaseEstimator):
    """Rare and unseen categories -> OTHER; see the module docstring."""

    def __init__(self, min_frequency: float | None = 20, max_categories: int | None = None) -> None:
        self.min_frequency = min_frequency
        self.max_categories = max_categories

    def fit(self, X: Any, y: Any = None) -> CategoryPolicy:
        frame = _frame(X)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        need = self._min_count(len(frame))
        self.kept_: dict[str, frozenset[str]] = {}
        self.dropped_: dict[str, int] = {}  # levels folded into OTHER, per column (the model card says)
        for c in frame.columns:
            counts = frame[c].dropna().astype(str).value_counts()
            keep = counts[counts >= need]
            if self.max_categories is not None and len(keep) > self.max_categories:
                keep = keep.head(self.max_categories)
            self.kept_[str(c)] = frozenset(keep.index)
            self.dropped_[str(c)] = int(len(counts) - len(keep))
        return self

    def _min_count(self, n: int) -> float:
        f = self.min_frequency
        if f is None:
            return 1
        return max(1.0, f * n) if 0 < f < 1 else max(1.0, float(f))

    def transform(self, X: Any) -> pd.DataFrame:
        frame = _frame(X, self.feature_names_in_)
        out = {}
        for c in self.feature_names_in_:
            col = frame[c].astype(object)
            present = col.notna()
            text = col.where(~present, col.astype(str))
            out[c] = text.where(~present | text.isin(self.kept_[str(c)]), OTHER)
        return pd.DataFrame(out, index=frame.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_in_, dtype=object)

    def set_output(self, *, transform: str | None = None) -> CategoryPolicy:
        return self  # a frame of text columns whatever the container asks: the next step takes it


def _frame(X: Any, names: Any = None) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X, dtype=object)
    return pd.DataFrame(arr, columns=list(names) if names is not None else None)


class NativeCategorical(TransformerMixin, BaseEstimator):
    """Categoricals as a pandas `category` dtype with the categories fixed at fit time.

    LightGBM (categorical_feature='auto'), XGBoost (enable_categorical=True) and scikit-learn's
    HistGradientBoosting (categorical_features='from_dtype') split on such columns natively, with
    no one-hot blow-up. In a stack it runs after the CategoryPolicy, which has already folded
    rare and unseen values into "other"; on its own, unknown values become missing.
    """

    def __init__(self, max_categories: int | None = 255) -> None:
        self.max_categories = max_categories

    def fit(self, X: pd.DataFrame, y: Any = None) -> NativeCategorical:
        X = pd.DataFrame(X)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.categories_ = {}
        for c in X.columns:
            counts = X[c].dropna().astype(str).value_counts()
            if self.max_categories:
                counts = counts.head(self.max_categories)  # rarest beyond the cap become missing
            self.categories_[c] = sorted(counts.index)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = pd.DataFrame(X)
        out = pd.DataFrame(index=X.index)
        for c in self.feature_names_in_:
            cats = self.categories_[c]
            col = X[c].astype(object)
            col = col.where(col.isna(), col.astype(str))
            out[c] = pd.Categorical(col.where(col.isin(cats)), categories=cats)  # unseen -> missing
        return out

    def fit_transform(self, X: pd.DataFrame, y: Any = None) -> pd.DataFrame:
        return self.fit(X, y).transform(X)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_in_, dtype=object)

    def set_output(self, *, transform: str | None = None) -> NativeCategorical:
        return self  # always pandas: the category dtype is the point
