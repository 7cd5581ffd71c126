"""Figures for the monitor report (matplotlib Agg), each returned as an embeddable data: URI."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pandas as pd


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    _plt().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def distribution(col: str, ref: dict[str, Any], current: pd.Series, result: dict[str, Any]) -> str:
    """Reference (from the profile, no raw data) vs current distribution of one column."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 2.8))
    title = f"{col}: {result.get('method')} = {result.get('score', 0):.3f} (threshold {result.get('threshold')})"
    if ref.get("kind") == "numeric" and "values" not in ref and "hist_edges" in ref:
        edges = np.asarray(ref["hist_edges"], dtype=float)
        counts = np.asarray(ref["hist_counts"], dtype=float)
        v = pd.to_numeric(current, errors="coerce").dropna().to_numpy(dtype=float)
        lo, hi = min(edges[0], np.min(v, initial=edges[0])), max(edges[-1], np.max(v, initial=edges[-1]))
        bins = np.linspace(lo, hi, 41)
        # reference mass spread uniformly within each profile bin, re-binned onto the common grid
        ref_cdf = np.interp(bins, edges, np.r_[0, np.cumsum(counts)] / max(counts.sum(), 1))
        ax.stairs(np.diff(ref_cdf), bins, label="reference (profile)", fill=True, alpha=0.4)
        cur_counts, _ = np.histogram(v, bins=bins)
        ax.stairs(cur_counts / max(len(v), 1), bins, label="current", linewidth=1.6)
        ax.set_ylabel("share")
    else:
        ref_counts = ref.get("values") or ref.get("counts") or {}
        if "values" in ref:
            cur = pd.to_numeric(current, errors="coerce").dropna().astype(float).astype(str).value_counts()
        else:
            cur = current.dropna().astype(str).value_counts()
        cats = list(dict.fromkeys([*list(ref_counts)[:15], *list(cur.index[:15])]))[:20]
        r = np.array([ref_counts.get(c, 0) for c in cats], dtype=float)
        c = np.array([cur.get(k, 0) for k in cats], dtype=float)
        x = np.arange(len(cats))
        ax.bar(x - 0.2, r / max(sum(ref_counts.values()), 1), 0.4, label="reference (profile)")
        ax.bar(x + 0.2, c / max(cur.sum(), 1), 0.4, label="current")
        ax.set_xticks(x, cats, rotation=45, ha="right", fontsize=7)
        ax.set_ylabel("share")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return _uri(fig)


def drift_over_time(history: list[dict[str, Any]], columns: list[str], thresholds: dict[str, float]) -> str | None:
    if len(history) < 1:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 2.8))
    t = pd.to_datetime([h["end"] for h in history], unit="s")
    for col in columns[:8]:
        ax.plot(t, [h["scores"].get(col) if h["scores"].get(col) is not None else np.nan for h in history],
                marker="o", label=col)
    share = [np.mean(list(h["drifted"].values())) if h["drifted"] else 0 for h in history]
    ax.plot(t, share, color="black", linestyle="--", label="share of columns drifting")
    for th in sorted(set(thresholds.values())):
        ax.axhline(th, color="red", linewidth=0.6, linestyle=":")
    ax.set_title("drift score per window", fontsize=9)
    ax.legend(fontsize=7, ncol=3)
    fig.autofmt_xdate()
    return _uri(fig)


def latency(sla: dict[str, Any]) -> str | None:
    rows = sla.get("latency_by_time") or []
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 2.8))
    t = pd.to_datetime([r["time"] for r in rows], unit="s")
    for k in ("p50_ms", "p95_ms", "p99_ms"):
        ax.plot(t, [r[k] for r in rows], label=k)
        target = (sla.get("targets") or {}).get(k)
        if target is not None:
            ax.axhline(float(target), linestyle=":", linewidth=0.8, color="red")
    ax.set_ylabel("ms")
    ax.set_title("latency over the window (dotted: targets)", fontsize=9)
    ax.legend(fontsize=7)
    fig.autofmt_xdate()
    return _uri(fig)


def performance(perf: dict[str, Any]) -> str | None:
    rows = perf.get("by_time") or []
    variants = perf.get("variants") or {}
    if not rows and not variants:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(9, 2.8))
    ax = axes[0]
    if rows:
        metric = next(iter(perf.get("max_drop") or {"roc_auc": 0}), "roc_auc")
        metric = metric if metric in rows[0] else next(k for k in rows[0] if k not in ("start", "end", "rows"))
        t = pd.to_datetime([r["start"] for r in rows], unit="s")
        ax.plot(t, [r.get(metric) for r in rows], marker="o", label=f"live {metric}")
        if metric in (perf.get("baseline") or {}):
            ax.axhline(perf["baseline"][metric], color="gray", linestyle="--", label="training holdout")
        ax.legend(fontsize=7)
        ax.set_title(f"{metric} by time", fontsize=9)
        fig.autofmt_xdate()
    else:
        ax.set_title("waiting for labels", fontsize=9)
    ax = axes[1]
    names = list(variants)
    vals = [variants[v].get("reward_mean") or 0.0 for v in names]
    ax.bar(names, vals)
    ax.set_title("mean reward per variant", fontsize=9)
    return _uri(fig)
