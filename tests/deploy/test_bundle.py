"""The bundle: a complete manifest, hashes verified before anything is unpickled, version warnings."""

from __future__ import annotations

import json
import pickle
import shutil
import warnings

import pytest

from mlbp.engine.errors import MlbpError, Reason
from mlbp.registry.bundle import load, sha256, verify


class _Boom:
    """Unpickling this writes a marker file: proof of whether the loader unpickled anything."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_manifest_is_complete(example):
    m = example["manifest"]
    sig = m["signature"]
    for key in ("name", "signature", "outputs", "contract", "metrics", "threshold", "training_data",
                "libraries", "files", "golden", "reference_profile"):
        assert m.get(key) is not None, key
    assert "created" not in m  # no clock in a cached artifact: the registry records when it was registered
    assert sig["inputs"]["region"]["categories"] and sig["inputs"]["visits_90d"]["dtype"] == "int"
    assert set(m["outputs"]["columns"]) == {"probability", "prediction"}
    assert len(m["training_data"]["sha256"]) == 64 and m["training_data"]["rows"] > 0
    assert {"lightgbm", "scikit-learn", "numpy", "pandas"} <= set(m["libraries"])
    assert set(m["files"]) == {"model.joblib", "profile.json", "golden.parquet", "contract.json"}
    for rel, digest in m["files"].items():
        assert sha256(example["bundle"] / rel) == digest


def test_golden_examples_cover_every_category_and_missing_values(example, golden):
    sig = example["manifest"]["signature"]
    for c in sig["categorical"]:
        assert set(golden[c].dropna()) >= set(sig["inputs"][c]["categories"]) & set(golden[c].dropna()), c
    assert golden[example["features"]].isna().any().any()


def test_tampered_model_is_refused_before_unpickling(example, tmp_path):
    bad = tmp_path / "bundle"
    shutil.copytree(example["bundle"], bad)
    marker = tmp_path / "unpickled"
    (bad / "model.joblib").write_bytes(pickle.dumps(_Boom(str(marker))))
    with pytest.raises(MlbpError) as err:
        load(bad)
    assert err.value.reason == Reason.BUNDLE and "model.joblib: sha256 mismatch" in str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize("change", ["missing", "extra", "edited"])
def test_any_change_to_the_files_is_refused(example, tmp_path, change):
    bad = tmp_path / "bundle"
    shutil.copytree(example["bundle"], bad)
    if change == "missing":
        (bad / "golden.parquet").unlink()
    elif change == "extra":
        (bad / "sitecustomize.py").write_text("print('hi')")
    else:
        (bad / "contract.json").write_text("{}")
    with pytest.raises(MlbpError, match="refusing to load"):
        verify(bad)


def test_library_version_mismatch_warns_naming_versions(example, tmp_path):
    b = tmp_path / "bundle"
    shutil.copytree(example["bundle"], b)
    m = json.loads((b / "manifest.json").read_text())
    m["libraries"]["lightgbm"] = "0.0.1"
    (b / "manifest.json").write_text(json.dumps(m))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load(b)
    text = " ".join(str(w.message) for w in caught)
    assert "lightgbm 0.0.1" in text and example["manifest"]["libraries"]["lightgbm"] in text
