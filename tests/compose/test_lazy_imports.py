"""Building the run graph imports no heavy library, so `mlbp --help` and a cached run stay fast."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["pandas", "numpy", "sklearn", "lightgbm", "xgboost", "pandera", "scipy", "matplotlib", "fastapi", "duckdb"]

SCRIPT = f"""
import json, sys
from mlbp.compose.build import build_graph
from mlbp.compose.launch import compose_config
cfg = compose_config(["paths.root={{root}}"])
graph = build_graph(cfg)
print(json.dumps({{"stages": len(graph.order), "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def test_building_the_default_graph_imports_no_heavy_library(tmp_path):
    out = subprocess.run([sys.executable, "-c", SCRIPT.replace("{root}", str(tmp_path))], capture_output=True,
                         text=True, check=True, cwd=tmp_path)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["stages"] >= 10
    assert result["loaded"] == []
