"""The package stage: model + scorecard + reference profile + golden examples -> a verified bundle."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any, ClassVar

from mlbp.data.labels import Labels
from mlbp.data.profile import profile_frame
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import read_frame, read_json, write_frame, write_json
from mlbp.registry.bundle import load, write_manifest
from mlbp.stacks.predict import predict_frame

if TYPE_CHECKING:
    pass


def signature(info: dict[str, Any], contract_columns: dict[str, Any], train, empty_is_missing: bool = False
              ) -> dict[str, Any]:
    """Input signature: per feature its kind, dtype, whether nulls are allowed, and the categories."""
    inputs = {}
    for col in info["numeric"]:
        spec = contract_columns.get(col, {})
        default = "bool" if str(train[col].dtype) in ("bool", "boolean") else "float"
        inputs[col] = {"kind": "numeric", "dtype": spec.get("dtype", default),
                       "nullable": bool(spec.get("nullable", train[col].isna().any())),
                       "min": spec.get("min"), "max": spec.get("max")}
    for col in info["categorical"]:
        spec = contract_columns.get(col, {})
        cats = spec.get("allowed") or info["categories"].get(col, [])
        inputs[col] = {"kind": "categorical", "dtype": "str", "categories": [str(c) for c in cats],
                       "nullable": bool(spec.get("nullable", train[col].isna().any()))}
    return {"task": info["task"], "numeric": info["numeric"], "categorical": info["categorical"],
            "classes": info.get("classes"), "labels": info.get("labels"), "inputs": inputs,
            "empty_is_missing": bool(empty_is_missing)}  # the contract's rule, kept for serving and batch


def output_schema(info: dict[str, Any], threshold: float | None) -> dict[str, Any]:
    """What a prediction looks like: one entry per output column with its dtype and meaning."""
    task = info["task"]
    if task == "regression":
        cols = {"prediction": {"dtype": "float", "meaning": "predicted value"}}
    elif task == "binary":
        labels = Labels.from_info(info)
        negative, positive = labels.classes
        cols = {"probability": {"dtype": "float", "meaning": f"probability of class {positive!r}"},
                "prediction": {"dtype": labels.dtype(), "meaning": f"{positive!r} when probability >= threshold "
                                                                    f"({threshold}), else {negative!r}"}}
    else:
        labels = Labels.from_info(info)
        cols = {f"probability_{c}": {"dtype": "float", "meaning": f"probability of class {c!r}"}
                for c in labels.classes}
        cols["prediction"] = {"dtype": labels.dtype(), "meaning": "the most probable class"}
    return {"task": task, "columns": cols}


def golden_rows(holdout, features: list[str], categorical: list[str], n: int,
                known: dict[str, list[str]] | None = None):
    """Rows that cover every category and a missing value of every column that has one, then fill
    up to n: golden examples should exercise every branch of the encoders, not 25 look-alikes.

    When the categories do not fit in n rows (a 4,000-level column), each column gets an equal
    share: levels training knew first (they exercise the encoders), then two it never saw (they
    exercise "other", and a `reject` server's per-row refusal); the fill prefers rows whose every
    category is known, so the server scores most golden rows whatever its policy."""
    import pandas as pd

    known_sets = {c: set(map(str, (known or {}).get(c, []))) for c in categorical}
    groups = {c: holdout[c].dropna().groupby(holdout[c].dropna(), sort=True).groups for c in categorical}
    gaps = sum(bool(holdout[c].isna().any()) for c in features)
    levels = sum(len(g) for g in groups.values())
    share = None if levels + gaps <= n else max(2, (n - gaps) // (2 * max(1, len(categorical))))
    chosen: list[Any] = []
    for col in features:
        values = holdout[col]
        if values.isna().any():
            chosen.append(values[values.isna()].index[0])
        if col not in groups:
            continue
        items = list(groups[col].items())
        if share is not None and known_sets[col]:
            seen = [(v, idx) for v, idx in items if str(v) in known_sets[col]]
            unseen = [(v, idx) for v, idx in items if str(v) not in known_sets[col]]
            items = seen[:share] + unseen[:2]
        elif share is not None:
            items = items[:share]
        chosen.extend(idx[0] for _v, idx in items)
    chosen = list(dict.fromkeys(chosen))[:n]
    taken = set(chosen)
    scoreable = pd.Series(True, index=holdout.index)
    for c in categorical:
        if known_sets[c]:
            scoreable &= holdout[c].isna() | holdout[c].astype(str).isin(known_sets[c])
    need = max(0, n - len(chosen))
    mask = scoreable.to_numpy()
    rest = [i for i in holdout.index[mask][: need + len(taken)] if i not in taken][:need]
    if len(rest) < need:
        rest += [i for i in holdout.index[~mask][: need + len(taken)] if i not in taken][: need - len(rest)]
    return holdout.loc[chosen + rest]


def _frame_sha(folder) -> str:
    from mlbp.registry.bundle import sha256

    return sha256(folder / "data.parquet")


class Package(Stage):
    """Makes `bundle`; golden examples are re-read from the saved bundle, so a bundle that cannot
    reproduce them is never handed on."""

    needs: ClassVar[tuple[str, ...]] = ("model", "scorecard", "train", "holdout")
    makes: ClassVar[tuple[str, ...]] = ("bundle",)

    def __init__(self, name: str, target: str, contract: dict[str, Any] | None = None, id_column: str | None = None,
                 golden_rows: int = 40) -> None:
        self.name = name
        self.target = target
        self.contract = contract or {}
        self.id_column = id_column
        self.golden_rows = golden_rows

    def run(self, ctx: StageContext) -> None:
        import joblib

        out = ctx.output("bundle")
        info = read_json(ctx.input("model"), "model.json")
        card = read_json(ctx.input("scorecard"), "scorecard.json")
        train = read_frame(ctx.input("train"))
        holdout = read_frame(ctx.input("holdout"))
        shutil.copy(ctx.input("model") / "model.joblib", out / "model.joblib")
        features = info["numeric"] + info["categorical"]
        write_json(profile_frame(train, features, exact_levels=True), out, "profile.json")
        write_json(self.contract, out, "contract.json")
        model = joblib.load(out / "model.joblib")
        golden_in = golden_rows(holdout, features, info["categorical"], self.golden_rows, info.get("categories"))
        golden_in = golden_in[[c for c in [self.id_column, *features] if c]].reset_index(drop=True)
        golden = golden_in.join(predict_frame(model, info, golden_in, card.get("threshold")).add_prefix("expected_"))
        write_frame(golden, out, "golden.parquet")
        sig = signature(info, self.contract.get("columns", {}), train, bool(self.contract.get("empty_is_missing")))
        manifest = write_manifest(out, {
            "name": self.name, "stack": info["stack"], "target": self.target, "id_column": self.id_column,
            "signature": sig, "outputs": output_schema(info, card.get("threshold")),
            "contract": {"name": self.contract.get("name"), "file": "contract.json"},
            "reference_profile": "profile.json", "golden": {"file": "golden.parquet", "rows": len(golden)},
            "threshold": card.get("threshold"), "metrics": card.get("holdout"),
            "scorecard": {k: card.get(k) for k in ("primary_metric", "primary", "blessed", "failed_rules", "business")},
            "training_data": {"rows": len(train), "artifact": ctx.input("train").name,
                              "sha256": _frame_sha(ctx.input("train"))},
        })
        bundle = load(out)  # verify the hashes and that golden examples reproduce from the saved files
        again = predict_frame(bundle.model, sig, golden_in, manifest["threshold"])
        expected = golden[[f"expected_{c}" for c in again.columns]].to_numpy()
        if not (again.to_numpy() == expected).all():
            raise AssertionError("golden examples do not reproduce from the saved bundle")
        ctx.note(name=self.name, stack=info["stack"], files=len(manifest["files"]))
