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
from mlbp.stacks.features import plain_number

NUMERIC = ("passthrough", "impute", "impute_scale")


def numbers_as_float(X: Any) -> Any:
    """Numeric columns as float64 with NaN for missing (nullable Int64 / boolean columns carry pd.NA,
    which scikit-learn's arrays cannot hold): the first numeric step, inside the fitted model."""
    if isinstance(X, pd.DataFrame):
        if all(plain_number(d) for d in X.dtypes):  # one block, not a to_numeric per column (65 ms, 300 columns)
            return pd.DataFrame(X.to_numpy(dtype="float64", na_value=np.nan), index=X.index, columns=X.columns)
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
def __getattr__(name: str) -> Any:
    """NativeCategorical lives in mlbp.stacks.category_policy (it needs scikit-learn's base
    classes, which this module does not import); bundles pickled before the move name it here."""
    if name == "NativeCategorical":
        from mlbp.stacks.category_policy import NativeCategorical

        return NativeCategorical
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


CATEGORICAL = ("onehot", "ordinal", "native", "target")
# the most levels a column keeps per encoding (the category policy folds the rest into "other"):
# one-hot makes a column per level; native splits take up to 255 levels (scikit-learn's
# HistGradientBoosting refuses more), "other" included; target encoding is one number whatever
MAX_CATEGORIES = {"onehot": 50, "ordinal": 255, "native": 254, "target": None}


class Preprocess:
    """Config for the preprocessing part of a stack; `build(numeric, categorical)` makes the transformer.

    YAML::

        preprocess:
          _target_: mlbp.stacks.preprocess.Preprocess
          numeric: impute_scale   # passthrough | impute | impute_scale
          categorical: onehot     # onehot | ordinal | native (pandas category dtype for LightGBM,
                                  #   XGBoost with enable_categorical, HistGradientBoosting) |
                                  #   target (scikit-learn's TargetEncoder, cross-fitted)
          min_frequency: 20       # the category policy (mlbp.stacks.category_policy): a level seen
          max_categories: null    #   fewer times (or a share < 1) is "other", and so is an unseen one;
                                  #   at most max_categories levels (null: the encoding's default)
    """

    def __init__(self, numeric: str = "impute", categorical: str = "onehot", min_frequency: float | None = 20,
                 max_categories: int | None = None) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.min_frequency = min_frequency
        self.max_categories = max_categories

    def check(self) -> None:
        if self.numeric not in NUMERIC:
            raise MlbpError("unknown numeric preprocessing", key="stack.preprocess.numeric",
                            expected=" | ".join(NUMERIC), got=self.numeric)
        if self.categorical not in CATEGORICAL:
            raise MlbpError("unknown categorical encoding", key="stack.preprocess.categorical",
                            expected=" | ".join(CATEGORICAL), got=self.categorical)
        if self.min_frequency is not None and (not isinstance(self.min_frequency, int | float)
                                               or isinstance(self.min_frequency, bool) or self.min_frequency < 0):
            raise MlbpError("min_frequency is a count of rows (or a share below 1)",
                            key="stack.preprocess.min_frequency", expected="a number >= 0, or null",
                            got=self.min_frequency)
        if self.max_categories is not None and (not isinstance(self.max_categories, int)
                                                or isinstance(self.max_categories, bool) or self.max_categories < 1):
            raise MlbpError("max_categories is how many levels a column keeps", key="stack.preprocess.max_categories",
                            expected="an integer >= 1, or null", got=self.max_categories)

    def policy(self) -> Any:
        """The category policy every encoding starts from (rare and unseen levels -> "other")."""
        from mlbp.stacks.category_policy import CategoryPolicy

        cap = self.max_categories if self.max_categories is not None else MAX_CATEGORIES[self.categorical]
        return CategoryPolicy(min_frequency=self.min_frequency, max_categories=cap)

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
        fill = ("impute", SimpleImputer(strategy="constant", fill_value="__missing__"))
        if self.categorical == "onehot":
            cat: Any = Pipeline([("missing", missing), ("policy", self.policy()), fill,
                                 ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False))])
        elif self.categorical == "ordinal":
            cat = Pipeline([("missing", missing), ("policy", self.policy()), fill,
                            ("encode", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                                      encoded_missing_value=-1))])
        elif self.categorical == "target":
            from sklearn.model_selection import KFold
            from sklearn.preprocessing import TargetEncoder

            folds = KFold(n_splits=5, shuffle=True, random_state=0)  # cross-fitted, and the same on every run
            cat = Pipeline([("missing", missing), ("policy", self.policy()), fill,
                            ("encode", TargetEncoder(cv=folds))])
        else:
            from mlbp.stacks.category_policy import NativeCategorical

            cat = Pipeline([("policy", self.policy()), ("encode", NativeCategorical(max_categories=None))])
        ct = ColumnTransformer([("num", num, numeric_cols), ("cat", cat, categorical_cols)],
                               verbose_feature_names_out=False)
        if self.categorical == "native":
            ct.set_output(transform="pandas")  # keep the category dtype through to the estimator
        return ct
