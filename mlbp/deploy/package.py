"""The package stage: model + scorecard + reference profile + golden examples -> a verified bundle."""

from __future__ import annotations

import shutil
from typing import Any, ClassVar

import joblib

from mlbp.data.profile import profile_frame
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import read_frame, read_json, write_frame, write_json
from mlbp.registry.bundle import load, write_manifest
from mlbp.stacks.predict import predict_frame


def signature(info: dict[str, Any], contract_columns: dict[str, Any], train) -> dict[str, Any]:
    """Input signature: per feature its kind, dtype, whether nulls are allowed, and the categories."""
    inputs = {}
    for col in info["numeric"]:
        spec = contract_columns.get(col, {})
        inputs[col] = {"kind": "numeric", "dtype": spec.get("dtype", "float"),
                       "nullable": bool(spec.get("nullable", train[col].isna().any())),
                       "min": spec.get("min"), "max": spec.get("max")}
    for col in info["categorical"]:
        spec = contract_columns.get(col, {})
        cats = spec.get("allowed") or info["categories"].get(col, [])
        inputs[col] = {"kind": "categorical", "dtype": "str", "categories": [str(c) for c in cats],
                       "nullable": bool(spec.get("nullable", train[col].isna().any()))}
    return {"task": info["task"], "numeric": info["numeric"], "categorical": info["categorical"],
            "classes": info.get("classes"), "inputs": inputs}


class Package(Stage):
    """Makes `bundle`; golden examples are re-read from the saved bundle, so a bundle that cannot
    reproduce them is never handed on."""

    needs: ClassVar[tuple[str, ...]] = ("model", "scorecard", "train", "holdout")
    makes: ClassVar[tuple[str, ...]] = ("bundle",)

    def __init__(self, name: str, target: str, contract: dict[str, Any] | None = None, id_column: str | None = None,
                 golden_rows: int = 25) -> None:
        self.name = name
        self.target = target
        self.contract = contract or {}
        self.id_column = id_column
        self.golden_rows = golden_rows

    def run(self, ctx: StageContext) -> None:
        out = ctx.output("bundle")
        info = read_json(ctx.input("model"), "model.json")
        card = read_json(ctx.input("scorecard"), "scorecard.json")
        train = read_frame(ctx.input("train"))
        holdout = read_frame(ctx.input("holdout"))
        shutil.copy(ctx.input("model") / "model.joblib", out / "model.joblib")
        features = info["numeric"] + info["categorical"]
        write_json(profile_frame(train, features), out, "profile.json")
        write_json(self.contract, out, "contract.json")
        model = joblib.load(out / "model.joblib")
        golden_in = holdout.head(self.golden_rows)[[c for c in [self.id_column, *features] if c]]
        golden = golden_in.join(predict_frame(model, info, golden_in, card.get("threshold")).add_prefix("expected_"))
        write_frame(golden, out, "golden.parquet")
        sig = signature(info, self.contract.get("columns", {}), train)
        manifest = write_manifest(out, {
            "name": self.name, "stack": info["stack"], "target": self.target, "id_column": self.id_column,
            "signature": sig, "threshold": card.get("threshold"), "metrics": card.get("holdout"),
            "scorecard": {k: card.get(k) for k in ("primary_metric", "primary", "blessed", "failed_rules", "business")},
            "training_data": {"rows": len(train), "sha256": ctx.manifest.get("artifacts", {}).get("train")},
            "created": ctx.manifest.get("started"),
        })
        bundle = load(out)  # verify the hashes and that golden examples reproduce from the saved files
        again = predict_frame(bundle.model, sig, golden_in, manifest["threshold"])
        expected = golden[[f"expected_{c}" for c in again.columns]].to_numpy()
        if not (again.to_numpy() == expected).all():
            raise AssertionError("golden examples do not reproduce from the saved bundle")
        ctx.note(name=self.name, stack=info["stack"], files=len(manifest["files"]))
