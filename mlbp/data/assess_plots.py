"""PNG plots for the assessment artifact (the run report embeds every *.png of its inputs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _pyplot():  # noqa: ANN202 - matplotlib is imported only when a plot is drawn
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_learning_curve(curve: dict[str, Any], path: Path) -> Path | None:
    points = curve.get("points") or []
    if not points:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.2), dpi=90)
    ax.plot([p["rows"] for p in points], [p["score"] for p in points], marker="o")
    for p in points:
        ax.annotate(f"{p['fraction']:.0%}", (p["rows"], p["score"]), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=8)
    ax.set_xlabel("training rows")
    ax.set_ylabel(f"validation {curve['metric']}")
    ax.set_title("Learning curve: " + ("more data still pays" if curve.get("still_improving") else "flattening"))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_arrival(arrival: dict[str, Any], min_rate: float, path: Path) -> Path | None:
    import pandas as pd

    daily = pd.Series(arrival.get("daily") or {}, dtype="float64")
    if daily.empty:
        return None
    daily.index = pd.to_datetime(daily.index)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.2), dpi=90)
    ax.bar(daily.index, daily.to_numpy(), width=1.0, color="#9ecae1", label="rows per day")
    ax.plot(daily.index, daily.rolling(7, min_periods=1).mean().to_numpy(), color="#08519c", label="7-day mean")
    ax.axhline(min_rate, color="#d62728", linestyle="--", label=f"required {min_rate:g}/day")
    ax.set_title(f"Arrival rate ({arrival['days']} days, newest {arrival['last'][:10]})")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
