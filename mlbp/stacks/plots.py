"""The holdout plots of one candidate, written as PNGs into the scorecard artifact folder, where the
run report and the candidate report embed them. matplotlib (Agg) is imported inside each call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, folder: Path, name: str) -> str:
    fig.savefig(Path(folder) / name, dpi=80, bbox_inches="tight", metadata={"Software": None})
    _plt().close(fig)
    return name


def confusion(folder: Path, matrix: list[list[int]], labels: list[Any], title: str) -> str:
    """A confusion matrix already counted (see per_class.class_report), rows actual, columns predicted."""
    plt = _plt()
    m = np.asarray(matrix, dtype=int)
    k = len(labels)
    size = max(3.6, 0.45 * k + 1.5)  # 15 classes stay readable
    fig, ax = plt.subplots(figsize=(size, size * 0.9))
    ax.imshow(m, cmap="Blues")
    if k <= 20:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, f"{m[i, j]:,}", ha="center", va="center", fontsize=8 if k > 6 else 10,
                        color="black" if m[i, j] < m.max() / 2 else "white")
    ax.set_xticks(range(k), [str(v) for v in labels], rotation=45 if k > 6 else 0)
    ax.set_yticks(range(k), [str(v) for v in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    ax.set_title(title, fontsize=10)
    return _save(fig, folder, "confusion_matrix.png")


def predicted_vs_actual(folder: Path, y: np.ndarray, pred: np.ndarray) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4, 3.4))
    ax.scatter(y, pred, s=4, alpha=0.3)
    lo, hi = float(np.nanmin([y.min(), pred.min()])), float(np.nanmax([y.max(), pred.max()]))
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.set_title("holdout: predicted vs actual", fontsize=10)
    return _save(fig, folder, "predicted_vs_actual.png")


def profit(folder: Path, curve: pd.DataFrame, threshold: float, everyone: float) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 3.2))
    ax.plot(curve["share"] * 100, curve["profit"], lw=1.5, label="act on top share")
    ax.axhline(everyone, color="tab:red", ls="--", lw=1, label="act on all")
    ax.axhline(0, color="grey", lw=1, label="act on none")
    acted = curve.loc[curve["threshold"] >= threshold, "share"]
    if len(acted):
        ax.axvline(float(acted.max()) * 100, color="tab:green", ls=":", lw=1.2, label=f"threshold {threshold:.3f}")
    ax.set_xlabel("rows acted on (%)")
    ax.set_ylabel("profit on holdout")
    ax.set_title("profit curve (holdout)", fontsize=10)
    ax.legend(fontsize=7)
    return _save(fig, folder, "profit_curve.png")


def lift(folder: Path, curve: pd.DataFrame) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 3.2))
    ax.plot(curve["share"] * 100, curve["lift"], lw=1.5)
    ax.axhline(1.0, color="grey", lw=1)
    ax.set_xlabel("top share of rows by score (%)")
    ax.set_ylabel("lift")
    ax.set_title("cumulative lift (holdout)", fontsize=10)
    return _save(fig, folder, "lift_curve.png")


def calibration(folder: Path, curve: list[dict[str, Any]], ece: float) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(3.8, 3.4))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
    ax.plot([c["predicted"] for c in curve], [c["observed"] for c in curve], marker="o", lw=1.5)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed rate")
    ax.set_title(f"reliability (ECE {ece:.4f})", fontsize=10)
    return _save(fig, folder, "calibration_curve.png")


def importance(folder: Path, rows: list[dict[str, Any]], metric: str, top: int = 15) -> str:
    plt = _plt()
    rows = rows[:top][::-1]
    fig, ax = plt.subplots(figsize=(4.6, 0.25 * len(rows) + 1))
    ax.barh([r["feature"] for r in rows], [r["importance"] for r in rows], xerr=[r["std"] for r in rows],
            color="tab:blue")
    ax.set_xlabel(f"drop in {metric} when shuffled")
    ax.set_title("permutation importance (holdout)", fontsize=10)
    return _save(fig, folder, "feature_importance.png")


def slices(folder: Path, result: dict[str, Any], overall: float) -> str:
    plt = _plt()
    metric = result["metric"]
    rows = [r for r in result["slices"] if r.get("ranked")]
    fig, ax = plt.subplots(figsize=(4.8, 0.25 * max(len(rows), 1) + 1))
    labels = [f"{r['column']}={r['value']}" for r in rows]
    colors = ["tab:red" if r.get("worst") else "tab:blue" for r in rows]
    ax.barh(labels[::-1], [r[metric] for r in rows][::-1], color=colors[::-1])
    ax.axvline(overall, color="grey", ls="--", lw=1)
    ax.set_xlabel(f"{metric} (dashed: overall)")
    ax.set_title("slices (worst in red)", fontsize=10)
    return _save(fig, folder, "slices.png")
