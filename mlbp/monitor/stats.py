"""Drift statistics computed from a saved reference *profile* against raw current values.

The reference is never re-read: a numeric column keeps a 1001-point quantile sketch
(`mlbp.data.profile`), a categorical column its category counts. How each statistic is
approximated from the sketch:

- The reference CDF is taken as piecewise linear between the sketch's quantile points
  (F_ref(q_i) = i/1000), refined by 101 extra quantiles over the outer 0.1% on each side
  (`tail_quantiles`), where heavy tails make the 1001-point knots wide. The current column is
  not sorted: one `searchsorted` into those knots gives the current CDF exactly at every knot
  (O(n log 1200)).
- Wasserstein-1 = integral of |F_ref - F_cur| dx. Inside the reference range it is integrated
  over the knots (trapezoid, both CDFs known at the knots); outside the reference range
  F_ref is 0 or 1, and the tail mass of the current values is integrated *exactly* from the
  raw current values. Normed by the reference std, as Evidently does.
- KS statistic = max |F_ref - F_cur| over the knots (and the tail masses outside the range).
- PSI uses reference-quantile bins (each holds 1/n_bins of the reference by construction).
- Categorical statistics (Jensen-Shannon distance, chi-square) are exact: reference counts are
  stored, current counts come from `pandas.factorize` + `bincount` on codes.

Every function returns plain floats so results serialize into the monitor report as they are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

EPS = 1e-4  # Evidently's floor for empty bins in PSI / JS


def reference_cdf(profile: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(knots, F_ref at knots) from the quantile sketch, merging repeated quantile values."""
    q = np.asarray(profile["quantiles"], dtype=float)
    probs = np.linspace(0.0, 1.0, len(q))
    tails = profile.get("tail_quantiles")
    if tails:  # finer knots over the outer 0.1% (heavy tails are where linear interpolation is worst)
        lo, hi = np.asarray(tails["low"], dtype=float), np.asarray(tails["high"], dtype=float)
        step = 1.0 / (len(q) - 1)
        q = np.r_[lo, q[1:-1], hi]
        probs = np.r_[np.linspace(0, step, len(lo)), probs[1:-1], np.linspace(1 - step, 1, len(hi))]
        keep = np.r_[True, np.diff(probs) > 0]  # drop the duplicated boundary probabilities
        q, probs = q[keep], probs[keep]
    knots, idx = np.unique(q, return_index=True)
    # for a repeated value the CDF at that value is the *last* probability at which it appears
    last = np.r_[idx[1:] - 1, len(q) - 1]
    return knots, probs[last]


def current_cdf_at(knots: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Empirical CDF of `cur` evaluated at each knot: share of values <= knot."""
    s = np.sort(cur) if len(cur) <= 4096 else None
    if s is not None:
        return np.searchsorted(s, knots, side="right") / max(len(cur), 1)
    pos = np.searchsorted(knots, cur, side="left")  # bin i holds knots[i-1] < x <= knots[i]
    counts = np.bincount(pos, minlength=len(knots) + 1)
    return np.cumsum(counts[: len(knots)]) / len(cur)


def numeric_scores(profile: dict[str, Any], cur: np.ndarray, psi_bins: int = 10) -> dict[str, float]:
    """Normed Wasserstein, KS statistic and p-value, PSI of current values vs the profile sketch."""
    cur = cur[~np.isnan(cur)]
    n = len(cur)
    if n == 0 or "quantiles" not in profile:
        return {"n": n}
    knots, f_ref = reference_cdf(profile)
    f_cur = current_cdf_at(knots, cur)
    lo, hi = knots[0], knots[-1]
    # inside [lo, hi]: trapezoid of |F_ref - F_cur| between knots
    d = np.abs(f_ref - f_cur)
    widths = np.diff(knots)
    inside = float(np.sum(widths * (d[:-1] + d[1:]) / 2.0)) if len(knots) > 1 else 0.0
    below = cur[cur < lo]
    above = cur[cur > hi]
    tails = (float(np.sum(lo - below)) + float(np.sum(above - hi))) / n
    std = float(profile.get("std") or 0.0)
    w = inside + tails
    ks = float(max(d.max(initial=0.0), len(below) / n, len(above) / n))
    n_ref = int(profile.get("count", 0) - round(profile.get("null_share", 0.0) * profile.get("count", 0)))
    return {
        "n": n,
        "wasserstein": w,
        "wasserstein_normed": w / std if std > 0 else (0.0 if w == 0 else float("inf")),
        "ks": ks,
        "ks_pvalue": ks_pvalue(ks, n_ref, n),
        "psi": psi_numeric(profile, cur, psi_bins),
    }


def ks_pvalue(d: float, n_ref: int, n_cur: int) -> float:
    """Asymptotic two-sample KS p-value (Kolmogorov distribution with effective n)."""
    from scipy.stats import kstwobign

    if n_ref <= 0 or n_cur <= 0:
        return 1.0
    en = n_ref * n_cur / (n_ref + n_cur)
    return float(kstwobign.sf(d * np.sqrt(en)))


def psi_edges(profile: dict[str, Any], bins: int) -> np.ndarray:
    q = np.asarray(profile["quantiles"], dtype=float)
    idx = np.linspace(0, len(q) - 1, bins + 1).round().astype(int)
    return np.unique(q[idx])


def psi_numeric(profile: dict[str, Any], cur: np.ndarray, bins: int = 10) -> float:
    """PSI over reference-quantile bins (outer bins open-ended); reference shares from the sketch."""
    edges = psi_edges(profile, bins)
    if len(edges) < 2:
        return 0.0
    knots, f_ref = reference_cdf(profile)
    inner = edges[1:-1]
    ref_cdf = np.interp(inner, knots, f_ref)
    ref_share = np.diff(np.r_[0.0, ref_cdf, 1.0])
    cur_counts = np.bincount(np.searchsorted(inner, cur, side="right"), minlength=len(inner) + 1)
    return psi(ref_share, cur_counts / max(len(cur), 1))


def psi(ref_share: np.ndarray, cur_share: np.ndarray) -> float:
    r = np.clip(ref_share, EPS, None)
    c = np.clip(cur_share, EPS, None)
    return float(np.sum((c - r) * np.log(c / r)))


def category_counts(values: pd.Series | np.ndarray) -> dict[str, int]:
    """Counts per category as strings, counted on factorized codes (no per-row Python)."""
    s = pd.Series(values)
    if not (pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)):
        s = s.astype(object)  # mixed / numeric codes: compare as the profile does, by str()
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return {str(u): int(c) for u, c in zip(uniques, counts, strict=True)}


MIN_EXPECTED = 5  # a reference level expected fewer times than this in the window joins "other"
NULL_DRAWS = 200  # samples of the no-drift distance, for the noise floor
NULL_QUANTILE = 0.99


def categorical_scores(ref_counts: dict[str, int], cur_counts: dict[str, int], ref_other: int = 0,
                       ref_levels: np.ndarray | None = None) -> dict[str, Any]:
    """Jensen-Shannon distance (base e, as scipy), chi-square vs reference shares, PSI, unseen share.

    Built against false alarms on many categories: reference levels the window would see fewer
    than MIN_EXPECTED times are pooled with every level outside the reference's top counts
    (`ref_other` rows) into one "other" bucket, the rule that makes chi-square valid; and the
    distance a window of this size shows with *no* drift (multinomial draws of both samples from
    the reference shares) is returned as `noise_floor` / `psi_noise_floor`, so a threshold below
    sampling noise is raised to it. `unseen_share` is exact when `ref_levels` (the hash of every
    reference level, mlbp.data.profile) is given, or when the reference counts are complete."""
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import chi2

    cats = list(ref_counts)
    r = np.array([ref_counts[k] for k in cats], dtype=float)
    c = np.array([cur_counts.get(k, 0) for k in cats], dtype=float)
    n = float(sum(cur_counts.values()))
    n_ref = float(r.sum() + ref_other)
    if n == 0 or n_ref == 0:
        return {"n": int(n)}
    unseen, exact = _unseen(ref_counts, cur_counts, ref_other, ref_levels, n)
    sparse = n * r / n_ref < MIN_EXPECTED
    r_m = np.append(r[~sparse], r[sparse].sum() + ref_other)
    c_m = np.append(c[~sparse], n - c[~sparse].sum())
    if r_m[-1] == 0 and c_m[-1] == 0:
        r_m, c_m = r_m[:-1], c_m[:-1]
    rs, cs = r_m / r_m.sum(), c_m / n
    expected = np.clip(rs, EPS, None)
    expected = expected / expected.sum() * n
    stat = float(np.sum((c_m - expected) ** 2 / expected))
    dof = max(len(r_m) - 1, 1)
    js_null, psi_null = _null(rs, int(n), int(n_ref))
    return {
        "n": int(n),
        "jensenshannon": float(jensenshannon(rs, cs)),
        "noise_floor": js_null,
        "chisquare": stat,
        "chisquare_pvalue": float(chi2.sf(stat, dof)),
        "psi": psi(rs, cs),
        "psi_noise_floor": psi_null,
        "categories_compared": int(len(r_m)),
        "unseen_share": unseen,
        "unseen_exact": exact,
    }


def _unseen(ref_counts: dict[str, int], cur_counts: dict[str, int], ref_other: int, ref_levels: np.ndarray | None,
            n: float) -> tuple[float, bool]:
    if ref_levels is not None:
        from mlbp.data.profile import hash_values

        keys = list(cur_counts)
        known = np.isin(hash_values(keys), ref_levels)
        return float(sum(cur_counts[k] for k, ok in zip(keys, known, strict=True) if not ok) / n), True
    unseen = float(sum(v for k, v in cur_counts.items() if k not in ref_counts) / n)
    return unseen, ref_other == 0  # complete counts: exact; else an upper bound


def _null(shares: np.ndarray, n: int, n_ref: int) -> tuple[float, float]:
    """The NULL_QUANTILE of the JS distance and PSI between two samples (sizes n_ref and n) drawn
    from the same distribution: what sampling noise alone shows (seeded: the same every run)."""
    from scipy.spatial.distance import jensenshannon

    if len(shares) < 2:
        return 0.0, 0.0
    rng = np.random.default_rng(0)
    p = shares / shares.sum()
    cur = rng.multinomial(n, p, size=NULL_DRAWS) / max(n, 1)
    ref = rng.multinomial(max(n_ref, 1), p, size=NULL_DRAWS) / max(n_ref, 1)
    js = jensenshannon(ref, cur, axis=1)
    rc, cc = np.clip(ref, EPS, None), np.clip(cur, EPS, None)
    ps = np.sum((cc - rc) * np.log(cc / rc), axis=1)
    return float(np.quantile(js, NULL_QUANTILE)), float(np.quantile(ps, NULL_QUANTILE))


def benjamini_hochberg(pvalues: list[float]) -> list[float]:
    """BH-adjusted p-values (step-up, monotone), same order as given; NaN stays NaN."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(len(p), np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out.tolist()
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out.tolist()
