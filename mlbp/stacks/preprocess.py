"""Preprocessing for a stack: numeric imputation/scaling and a categorical encoding, as one
scikit-learn ColumnTransformer so the fitted pipeline is one object to package and serve."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from mlbp.engine.errors import MlbpError

NUMERIC = ("passthrough", "impute", "impute_scale")
CATEGORICAL = ("onehot", "ordinal")


class Preprocess:
    """Config for the preprocessing part of a stack; `build(numeric, categorical)` makes the transformer.

    YAML::

        preprocess:
          _target_: mlbp.stacks.preprocess.Preprocess
          numeric: impute_scale   # passthrough | impute | impute_scale
          categorical: onehot     # onehot | ordinal
    """

    def __init__(self, numeric: str = "impute", categorical: str = "onehot", min_frequency: int | None = 20) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.min_frequency = min_frequency

    def build(self, numeric_cols: list[str], categorical_cols: list[str]) -> ColumnTransformer:
        if self.numeric not in NUMERIC:
            raise MlbpError("unknown numeric preprocessing", key="stack.preprocess.numeric",
                            expected=" | ".join(NUMERIC), got=self.numeric)
        if self.categorical not in CATEGORICAL:
            raise MlbpError("unknown categorical encoding", key="stack.preprocess.categorical",
                            expected=" | ".join(CATEGORICAL), got=self.categorical)
        if self.numeric == "passthrough":
            num = "passthrough"
        elif self.numeric == "impute":
            num = SimpleImputer(strategy="median")
        else:
            num = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
        if self.categorical == "onehot":
            cat = Pipeline([
                ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
                ("encode", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=self.min_frequency,
                                         sparse_output=False)),
            ])
        else:
            cat = Pipeline([
                ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
                ("encode", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                          encoded_missing_value=-1)),
            ])
        return ColumnTransformer([("num", num, numeric_cols), ("cat", cat, categorical_cols)],
                                 verbose_feature_names_out=False)
