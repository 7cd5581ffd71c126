"""Compile a fitted pipeline for serving: encode rows with numpy and call the raw booster.

A scikit-learn Pipeline with a ColumnTransformer costs ~9 ms per one-row call; the raw LightGBM
booster ~0.1 ms. So instead of a DataFrame per request we read the fitted preprocessing once —
by *probing* it (category -> code, numeric x -> a*x+b, missing -> its fill value), which is exact
for every encoder that maps each column independently — and predict with the booster on a float
matrix. The result is checked against the bundle's golden examples; a pipeline whose
preprocessing is not column-wise (one-hot, say) or that does not reproduce them is served by the
plain pipeline instead (`CompiledModel.compile` returns None and says why).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from mlbp.data.labels import Labels

log = logging.getLogger("mlbp.deploy")

UNSEEN = "\x00mlbp-unseen\x00"
PROBE_NUMBERS = (0.0, 1.0, 2.5, -3.0, 1000.0)


def outputs_from(raw: np.ndarray, sig: dict[str, Any], threshold: float | None) -> dict[str, np.ndarray]:
    """Model output -> the bundle's output columns (the same rules as mlbp.stacks.predict)."""
    task = sig["task"]
    if task == "regression":
        return {"prediction": np.asarray(raw, dtype=float).reshape(-1)}
    raw = np.asarray(raw, dtype=float)
    labels = _labels(sig)  # answers in the user's own labels
    if task == "binary":
        p1 = raw[:, 1] if raw.ndim == 2 else raw
        t = 0.5 if threshold is None else threshold
        return {"probability": p1, "prediction": labels.decode(p1 >= t)}
    out = {f"probability_{c}": raw[:, i] for i, c in enumerate(labels.classes)}
    out["prediction"] = labels.decode(raw.argmax(axis=1))
    return out


_LABELS: dict[str, Labels] = {}


def _labels(sig: dict[str, Any]) -> Labels:
    """The signature's label encoding, built once per distinct signature (this runs per request)."""
    key = repr((sig.get("labels"), sig.get("classes"), sig.get("task")))
    if key not in _LABELS:
        _LABELS[key] = Labels.from_info(sig)
    return _LABELS[key]


class CompiledModel:
    """Numeric affine maps + categorical code maps + a raw predict function."""

    def __init__(self, numeric: list[tuple[str, float, float, float]], categorical: list[tuple[str, dict, float]],
                 order: list[int], predict_raw: Any, kind: str) -> None:
        self.numeric = numeric          # (column, scale, offset, value used when missing)
        self.categorical = categorical  # (column, {category: code}, code for unseen / missing)
        self.order = order              # output column i of the matrix comes from feature order[i]
        self.predict_raw = predict_raw
        self.kind = kind

    def encode(self, cols: dict[str, list[Any]], n: int) -> np.ndarray:
        feats = np.empty((n, len(self.order)), dtype=np.float64)
        j = 0
        for name, a, b, fill in self.numeric:
            col = cols[name]
            feats[:, j] = [fill if v is None else a * v + b for v in col]
            j += 1
        for name, codes, miss in self.categorical:
            col = cols[name]
            feats[:, j] = [miss if v is None else codes.get(v, codes.get(UNSEEN, miss)) for v in col]
            j += 1
        return feats if self.order == list(range(len(self.order))) else feats[:, self.order]

    def encode_checked(self, checked: Any, rows: np.ndarray) -> np.ndarray:
        """Vectorised encode for the batch scorer, from a CheckedBatch (numpy columns and
        categorical `Codes`), keeping only `rows` (a boolean mask). A categorical column costs
        one lookup per distinct value plus one numpy take per row."""
        n = int(rows.sum())
        feats = np.empty((n, len(self.order)), dtype=np.float64)
        at = {k: i for i, k in enumerate(self.order)}  # feature k goes to matrix column at[k]: no reorder copy
        every = n == len(rows)  # nothing quarantined: no masked copies
        j = 0
        for name, a, b, fill in self.numeric:
            v = checked.numeric[name] if every else checked.numeric[name][rows]
            feats[:, at[j]] = v if (a, b) == (1.0, 0.0) and np.isnan(fill) else np.where(np.isnan(v), fill, a * v + b)
            j += 1
        for name, codes, miss in self.categorical:
            col = checked.categorical[name]
            unseen = codes.get(UNSEEN, miss)
            table = np.array([codes.get(v, unseen) for v in col.values] + [miss], dtype=np.float64)
            feats[:, at[j]] = table[col.index if every else col.index[rows]]  # index -1 (missing) takes the last entry
            j += 1
        return feats

    @classmethod
    def compile(cls, pipeline: Any, sig: dict[str, Any], threads: int = 1, trees: str = "booster"
                ) -> tuple[CompiledModel | None, str]:
        """(compiled model, how) or (None, why not). `trees="compiled"`: LightGBM's trees as
        machine code (see compiled_trees), for many rows; "cached": those when already compiled,
        else the booster; "booster": the library's own predict."""
        steps = getattr(pipeline, "named_steps", None)
        if not steps or "preprocess" not in steps or "model" not in steps:
            return None, "not a preprocess + model pipeline"
        pre, est = steps["preprocess"], steps["model"]
        numeric, categorical = list(sig["numeric"]), list(sig["categorical"])
        own = getattr(est, "_preprocessor", None)
        # HistGradientBoosting with native categories re-encodes its input itself (categories to its
        # own codes, columns reordered): probe both encodings as one, and predict past it
        probe_pre = pre if own is None else _Composed(pre, own)
        try:
            num_maps, cat_maps, order, probed, frame = _probe(probe_pre, numeric, categorical, sig)
        except _NotColumnwise as exc:
            return None, str(exc)
        except Exception as exc:  # noqa: BLE001 - a preprocessing the probe cannot read: serve the pipeline
            return None, f"preprocessing could not be probed: {type(exc).__name__}: {exc}"
        if own is not None:
            from mlbp.deploy.runtime.lean import lean_predictor

            reference = est.predict if sig["task"] == "regression" else est.predict_proba
            lean = lean_predictor(est, sig["task"], probed, want=reference(pre.transform(frame)))
            if lean is None:
                return None, f"{type(est).__name__} re-encodes its categorical input itself"
            return cls(num_maps, cat_maps, order, lean[0], lean[1]), lean[1]
        predict_raw, kind = _raw_predictor(est, sig["task"], threads, trees, probed)
        return cls(num_maps, cat_maps, order, predict_raw, kind), kind

    def predict(self, cols: dict[str, list[Any]], n: int, sig: dict[str, Any], threshold: float | None
                ) -> dict[str, np.ndarray]:
        return outputs_from(self.predict_raw(self.encode(cols, n)), sig, threshold)


class _NotColumnwise(Exception):
    pass


class _Composed:
    """The pipeline's preprocessing followed by the estimator's own (`_preprocessor`), probed as one."""

    def __init__(self, first: Any, second: Any) -> None:
        self.first, self.second = first, second
        self.transformers_ = getattr(first, "transformers_", [])

    def transform(self, df: Any) -> Any:
        return self.second.transform(self.first.transform(df))


def _as_numbers(transformed: Any) -> np.ndarray:
    """The transformer's output as floats; pandas category columns (native categorical
    preprocessing) become their codes, which is what LightGBM itself feeds its trees."""
    import pandas as pd

    if isinstance(transformed, pd.DataFrame):
        cols = []
        for c in transformed.columns:
            s = transformed[c]
            if isinstance(s.dtype, pd.CategoricalDtype):
                codes = s.cat.codes.to_numpy().astype(np.float64)
                cols.append(np.where(codes < 0, np.nan, codes))
            else:
                cols.append(pd.to_numeric(s, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan))
        return np.column_stack(cols) if cols else np.empty((len(transformed), 0))
    return np.asarray(transformed, dtype=np.float64)


def _probe(pre: Any, numeric: list[str], categorical: list[str], sig: dict[str, Any]
           ) -> tuple[list[tuple[str, float, float, float]], list[tuple[str, dict, float]], list[int], np.ndarray,
                      Any]:
    """Read the fitted preprocessing column by column: (numeric maps, categorical maps, order, the
    probe's output matrix). Each input column is varied alone (numbers, missing; every known
    category, missing, an unseen one) while the others hold a base value; an output that moves is
    that column's. An output may be one of several for its column (one-hot: one output per
    category, each a category -> 0/1 map) but never depend on two columns. Numeric outputs must be
    x*a+b with one value for missing; categorical ones a value per category."""
    import pandas as pd

    from mlbp.stacks.features import to_model_frame

    fitted_cats: dict[str, list[Any]] = {}
    for _name, trans, cols in getattr(pre, "transformers_", []):
        enc = trans
        if hasattr(trans, "steps"):
            enc = trans.steps[-1][1]
        if hasattr(enc, "categories_"):
            per_column = enc.categories_.items() if isinstance(enc.categories_, dict) \
                else zip(cols, enc.categories_, strict=False)  # NativeCategorical keeps a dict
            for c, cats in per_column:
                fitted_cats[c] = [x for x in cats if isinstance(x, str)]
    values: dict[str, list[Any]] = {c: [*PROBE_NUMBERS, None] for c in numeric}
    for c in categorical:
        values[c] = [*dict.fromkeys([*fitted_cats.get(c, []), *(sig["inputs"][c].get("categories") or [])]),
                     None, UNSEEN]
    base = {c: values[c][0] for c in numeric + categorical}
    blocks: dict[str, slice] = {}
    frame: dict[str, list[Any]] = {c: [] for c in numeric + categorical}
    at = 0
    for c in numeric + categorical:  # block c: column c takes each of its values, the others their base
        for c2 in frame:
            frame[c2].extend(values[c] if c2 == c else [base[c2]] * len(values[c]))
        blocks[c] = slice(at, at + len(values[c]))
        at += len(values[c])
    df = to_model_frame(pd.DataFrame(frame), numeric, categorical)
    out = _as_numbers(pre.transform(df))
    owner: dict[int, str] = {}
    for c, rows in blocks.items():
        block = out[rows]
        moved = np.flatnonzero(~np.all((block == block[0]) | (np.isnan(block) & np.isnan(block[0])), axis=0))
        for j in moved:
            if int(j) in owner:
                raise _NotColumnwise(f"output {j} of the preprocessing depends on '{owner[int(j)]}' and '{c}'")
            owner[int(j)] = c
    first = (numeric + categorical)[0]
    for j in range(out.shape[1]):
        owner.setdefault(j, first)  # a constant output: any column's map holds it
    num_maps: list[tuple[str, float, float, float]] = []
    cat_maps: list[tuple[str, dict, float]] = []
    num_out: list[int] = []
    cat_out: list[int] = []
    for j in range(out.shape[1]):
        c = owner[j]
        col = out[blocks[c], j]
        if c in numeric:
            x = np.array(values[c], dtype=object)
            known = np.array([v is not None for v in x])
            xs = x[known].astype(float)
            a = (col[1] - col[0]) / (PROBE_NUMBERS[1] - PROBE_NUMBERS[0])
            b = col[0] - a * PROBE_NUMBERS[0]
            if not np.allclose(a * xs + b, col[known], rtol=1e-12, atol=1e-12):
                raise _NotColumnwise(f"numeric column '{c}' is not transformed by x*a+b")
            fills = col[~known]
            fill = float(fills[0])
            if a == 1.0 and b == 0.0:
                a, b = 1.0, 0.0
            num_maps.append((c, float(a), float(b), fill))
            num_out.append(j)
        else:
            codes: dict[Any, float] = {}
            for v, code in zip(values[c], col, strict=True):
                codes[v] = float(code)
            miss = codes.pop(None)
            cat_maps.append((c, codes, miss))
            cat_out.append(j)
    entries = num_out + cat_out  # encode() fills the matrix in this order
    order = [entries.index(j) for j in range(out.shape[1])]
    return num_maps, cat_maps, order, out, df


def _raw_predictor(est: Any, task: str, threads: int, trees: str = "booster",
                   probed: np.ndarray | None = None) -> tuple[Any, str]:
    """The fastest exact predict for an estimator on a float matrix (`probed`: the probe's
    matrix, on which a lean predictor proves itself against the estimator's own method)."""
    mod = type(est).__module__
    if mod.startswith("lightgbm") and hasattr(est, "booster_"):
        booster = est.booster_
        num_iteration = getattr(est, "best_iteration_", None) or None
        if trees in ("compiled", "cached"):
            from mlbp.deploy.runtime import compiled_trees

            fast = compiled_trees.lleaves_predictor(booster, num_iteration, threads, compile_now=trees == "compiled")
            if fast is not None:
                return fast, "lightgbm-compiled-trees"

        def lgb(x: np.ndarray) -> np.ndarray:
            return booster.predict(x, num_iteration=num_iteration, num_threads=threads)

        return lgb, "lightgbm-booster"
    if mod.startswith("xgboost") and hasattr(est, "get_booster"):
        booster = est.get_booster()
        booster.set_param({"nthread": threads})
        best = getattr(est, "best_iteration", None) if getattr(est, "early_stopping_rounds", None) else None
        rng = (0, best + 1) if best is not None else (0, 0)

        def xgb(x: np.ndarray) -> np.ndarray:
            return booster.inplace_predict(x, iteration_range=rng)

        return xgb, "xgboost-booster"
    if probed is not None:
        from mlbp.deploy.runtime.lean import lean_predictor

        lean = lean_predictor(est, task, probed)
        if lean is not None:
            return lean
    if task == "regression":
        return est.predict, f"{type(est).__name__}.predict"
    return est.predict_proba, f"{type(est).__name__}.predict_proba"
