"""The holdout report of one candidate: one self-contained HTML page (images inline as data URIs),
readable with no server. Built from the scorecard artifact folder (scorecard.json + PNGs), so it
is written for every run, cache hits included, by the run report stage."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from mlbp.report.render import render

# PNG name -> caption, in the order the page shows them
PLOTS = {
    "confusion_matrix.png": "Confusion matrix at the chosen threshold",
    "predicted_vs_actual.png": "Predicted vs actual",
    "profit_curve.png": "Profit curve",
    "lift_curve.png": "Lift curve",
    "calibration_curve.png": "Calibration (reliability) curve",
    "feature_importance.png": "Feature importance",
    "slices.png": "Slices",
}


def _uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def render_candidate(scorecard_dir: Path, title: str | None = None) -> str:
    folder = Path(scorecard_dir)
    card: dict[str, Any] = json.loads((folder / "scorecard.json").read_text())
    images = [{"caption": cap, "src": _uri(folder / name)} for name, cap in PLOTS.items() if (folder / name).exists()]
    return render("candidate.html.j2", card=card, images=images, title=title or f"candidate {card.get('stack')}")


def write_candidate_report(scorecard_dir: Path, run_dir: Path, title: str | None = None) -> Path:
    """Writes `candidate.html` into the run folder and returns its path."""
    out = Path(run_dir) / "candidate.html"
    out.write_text(render_candidate(scorecard_dir, title))
    return out
