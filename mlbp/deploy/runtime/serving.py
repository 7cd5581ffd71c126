"""A bundle ready to serve: verified, its input checker built, its fast path compiled and proven
against the golden examples. Loaded once, predicts many times (MLflow pyfunc's load_context)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlbp.deploy.runtime.compiled import CompiledModel, outputs_from
from mlbp.deploy.runtime.signature import InputChecker
from mlbp.registry.bundle import LoadedBundle, load

log = logging.getLogger("mlbp.deploy")


@dataclass
class ServingModel:
    bundle: LoadedBundle
    checker: InputChecker
    compiled: CompiledModel | None
    fast_path: str  # how the model predicts: the raw predictor's name, or why the pipeline is used
    version: Any = None
    loaded_at: float = field(default_factory=time.time)
    threads: int = 1  # threads per prediction call the fast path was compiled with

    @property
    def name(self) -> str:
        return self.bundle.name

    @property
    def signature(self) -> dict[str, Any]:
        return self.bundle.signature

    @property
    def outputs(self) -> list[str]:
        return list(self.bundle.manifest.get("outputs", {}).get("columns", {})) or _output_names(self.signature)

    def predict_columns(self, cols: dict[str, list[Any]], n: int) -> dict[str, np.ndarray]:
        """Validated columns -> output arrays."""
        threshold = self.bundle.manifest.get("threshold")
        if self.compiled is not None:
            return self.compiled.predict(cols, n, self.signature, threshold)
        import pandas as pd

        from mlbp.stacks.predict import predict_frame

        out = predict_frame(self.bundle.model, self.signature, pd.DataFrame(cols), threshold)
        return {c: out[c].to_numpy() for c in out.columns}

    def predict_checked(self, checked: Any, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The valid rows of a CheckedBatch -> output arrays (the batch scorer's path)."""
        threshold = self.bundle.manifest.get("threshold")
        if self.compiled is not None:
            feats = self.compiled.encode_checked(checked, rows)
            return outputs_from(self.compiled.predict_raw(feats), self.signature, threshold)
        import pandas as pd

        from mlbp.stacks.predict import predict_frame

        df = pd.DataFrame({c: checked.numeric[c][rows] for c in self.signature["numeric"]})
        for c in self.signature["categorical"]:
            df[c] = checked.categorical[c].strings(rows).to_pandas().astype(object)
        out = predict_frame(self.bundle.model, self.signature, df, threshold)
        return {c: out[c].to_numpy() for c in out.columns}


def _output_names(sig: dict[str, Any]) -> list[str]:
    if sig["task"] == "regression":
        return ["prediction"]
    if sig["task"] == "binary":
        return ["probability", "prediction"]
    return [*(f"probability_{c}" for c in sig.get("classes") or []), "prediction"]


def golden_mismatch(model: ServingModel) -> str | None:
    """Predict the golden inputs through this model's serving path; None when they reproduce."""
    import pandas as pd

    from mlbp.deploy.runtime.golden import golden_columns, output_difference

    golden = pd.read_parquet(model.bundle.path / "golden.parquet")
    got = model.predict_columns(golden_columns(golden, model.checker.features), len(golden))
    for name, values in got.items():
        bad = output_difference(name, values, golden[f"expected_{name}"].to_numpy())
        if bad:
            return bad
    return None


def version_of(path: Path, manifest: dict[str, Any]) -> Any:
    """A registry folder is named v<N>; an artifact folder by its content hash (first 12 chars)."""
    import re

    m = re.fullmatch(r"v(\d+)", path.name)
    return int(m.group(1)) if m else manifest.get("version") or path.name[:12]


def load_serving(path: str | Path, version: Any = None, unknown_category: str = "reject",
                 extra_columns: str = "ignore", fast_path: bool = True, threads: int = 1,
                 trees: str = "booster") -> ServingModel:
    """Verify + unpickle the bundle, compile it, prove the compiled path on the golden examples.
    `trees="compiled"` asks for LightGBM's trees as machine code (batch scoring); when they do not
    reproduce the golden examples the booster is used instead."""
    bundle = load(path)
    sig = bundle.signature
    passthrough = tuple(c for c in [bundle.manifest.get("id_column")] if c)
    checker = InputChecker(sig, unknown_category, extra_columns, passthrough=passthrough)
    model = ServingModel(bundle, checker, None, "pipeline (fast path off)",
                         version=version if version is not None else version_of(Path(path), bundle.manifest),
                         threads=threads)
    # compiled trees first when asked for, then the booster: the first predictor that reproduces
    # the golden examples serves; if none does, the pipeline
    for attempt in dict.fromkeys([trees, "booster"]) if fast_path else ():
        compiled, how = CompiledModel.compile(bundle.model, sig, threads=threads, trees=attempt)
        if compiled is None:
            model.fast_path = f"pipeline ({how})"
            break
        model.compiled = compiled
        try:
            bad = golden_mismatch(model)
        except Exception as exc:  # noqa: BLE001 - an estimator that needs its own input types: no fast path
            bad = f"{type(exc).__name__}: {exc}"
        if not bad:
            model.fast_path = how
            break
        log.warning("fast path %s for %s does not reproduce the golden examples (%s)", how, path, bad)
        model.compiled, model.fast_path = None, f"pipeline (fast path failed golden check: {bad})"
        if how != "lightgbm-compiled-trees":  # only compiled trees have a booster to fall back to
            break
    if model.compiled is None:
        bad = golden_mismatch(model)
        if bad:
            from mlbp.engine.errors import MlbpError, Reason

            raise MlbpError(f"bundle {path} does not reproduce its golden examples: {bad}", reason=Reason.BUNDLE,
                            key="bundle", fix="re-package the model with the libraries it was trained with")
    return model
