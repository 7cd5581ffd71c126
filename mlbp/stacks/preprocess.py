"""Preprocessing for a stack: numeric imputation/scaling and a categorical encoding, as one
scikit-learn ColumnTransformer so the fitted pipeline is one object to package and serve.

scikit-learn is imported inside `build` so building a run graph (which instantiates this config
object) imports no ML library.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlbp.engine.errors import MlbpError

NUMERIC = ("passthrough", "impute", "impute_scale")


def numbers_as_float(X: Any) -> Any:
    """Numeric columns as float64 with NaN for missing (nullable Int64 / boolean columns carry pd.NA,
    which scikit-learn's arrays cannot hold): the first numeric step, inside the fitted model."""
    if isinstance(X, pd.DataFrame):
        return X.apply(lambda c: pd.to_numeric(c, errors="coerce")).astype("float64")
    return np.asarray(pd.DataFrame(np.asarray(X, dtype=object)).apply(pd.to_numeric, errors="coerce"),
                      dtype="float64")


def missing_as_nan(X: Any) -> Any:
    """Every missing marker in text columns (None, pd.NA, NaT, NaN) as np.nan, the one value the
    imputers treat as missing. The first step of every categorical encoding, inside the fitted
    model: a frame read from Parquet (NaN), from JSON (None) or built in a notebook (pd.NA) gets
    the same answer, with or without mlbp's own readers in front."""
    if isinstance(X, pd.DataFrame):
        out = X.astype(object)
        return out.mask(out.isna(), np.nan)
    arr = np.array(X, dtype=object)
    arr[pd.isna(arr)] = np.nan
    return arr
CATEGORICAL = ("onehot", "ordinal", "native")


class NativeCategorical:
    """Categoricals as a pandas `category` dtype with the categories fixed at fit time.

    LightGBM (categorical_feature='auto'), XGBoost (enable_categorical=True) and scikit-learn's
    HistGradientBoosting (categorical_features='from_dtype') split on such columns natively, with
    no one-hot blow-up. Unknown values at predict time become missing, which all three handle.
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

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"max_categories": self.max_categories}

    def set_params(self, **params: Any) -> NativeCategorical:
        for k, v in params.items():
            setattr(self, k, v)
        return self


class Preprocess:
    """Config for the preprocessing part of a stack; `build(numeric, categorical)` makes the transformer.

    YAML::

        preprocess:
          _target_: mlbp.stacks.preprocess.Preprocess
          numeric: impute_scale   # passthrough | impute | impute_scale
          categorical: onehot     # onehot | ordinal | native (pandas category dtype for LightGBM,
                                  #   XGBoost with enable_categorical, HistGradientBoosting)
    """

    def __init__(self, numeric: str = "impute", categorical: str = "onehot", min_frequency: int | None = 20) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.min_frequency = min_frequency

    def check(self) -> None:
        if self.numeric not in NUMERIC:
            raise MlbpError("unknown numeric preprocessing", key="stack.preprocess.numeric",
                            expected=" | ".join(NUMERIC), got=self.numeric)
        if self.categorical not in CATEGORICAL:
            raise MlbpError("unknown categorical encoding", key="stack.preprocess.categorical",
                            expected=" | ".join(CATEGORICAL), got=self.categorical)

    def build(self, numeric_cols: list[str], categorical_cols: list[str]) -> Any:
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

        self.check()
        floats = ("numbers", FunctionTransformer(numbers_as_float, feature_names_out="one-to-one"))
        if self.numeric == "passthrough":
            num: Any = Pipeline([floats])
        elif self.numeric == "impute":
            num = Pipeline([floats, ("impute", SimpleImputer(strategy="median"))])
        else:
            num = Pipeline([floats, ("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
        missing = FunctionTransformer(missing_as_nan, feature_names_out="one-to-one")
        if self.categorical == "onehot":
            cat: Any = Pipeline([
                ("missing", missing),
                ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
                ("encode", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=self.min_frequency,
                                         sparse_output=False)),
            ])
        elif self.categorical == "ordinal":
            cat = Pipeline([
                ("missing", missing),
                ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
                ("encode", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                          encoded_missing_value=-1)),
            ])
        else:
            cat = NativeCategorical()
        ct = ColumnTransformer([("num", num, numeric_cols), ("cat", cat, categorical_cols)],
                               verbose_feature_names_out=False)
        if self.categorical == "native":
            ct.set_output(transform="pandas")  # keep the category dtype through to the estimator
        return ct
