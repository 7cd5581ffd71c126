"""The assess stage: is there enough data, and does it arrive fast enough? pass / warn / fail.

Every check compares one measured value with a threshold from config and has a level (`fail`
stops the run unless `fail_run: false`, `warn` is reported). Thresholds (data.assess.thresholds):

    min_rows, min_rows_per_feature, min_minority_count, min_minority_share   (classification)
    min_target_std                                                           (regression)
    max_missing_share, max_duplicate_share, id_like_share,
    leakage_auc (classification) / leakage_rho (regression), leakage_level (warn | fail),
    learning_curve_max_gain, min_rows_per_day, window_days, max_staleness_days
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from mlbp.data.signals import id_like, leakage_suspects, single_column_scores
from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import read_frame, write_json

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    import pandas as pd

DEFAULTS: dict[str, Any] = {
    "min_rows": 1000,
    "min_rows_per_feature": 50,
    "min_minority_count": 200,
    "min_minority_share": 0.01,
    "min_target_std": 0.0,
    "max_missing_share": 0.3,
    "max_duplicate_share": 0.01,
    "id_like_share": 0.95,
    "leakage_auc": 0.95,
    "leakage_rho": 0.95,
    "leakage_level": "warn",
    "learning_curve_max_gain": 0.01,
    "min_rows_per_day": 10,
    "window_days": 30,
    "max_staleness_days": 45,
}


def _verdict(checks: list[dict[str, Any]]) -> str:
    levels = {c["level"] for c in checks if not c["ok"]}
    return "fail" if "fail" in levels else "warn" if "warn" in levels else "pass"


def _naive(ts: pd.Series) -> pd.Series:
    return ts.dt.tz_convert("UTC").dt.tz_localize(None) if ts.dt.tz is not None else ts


def arrival(ts: pd.Series, now: pd.Timestamp, window_days: int) -> dict[str, Any]:
    """Rows per day over the whole span and over the last `window_days` before the newest row."""
    import numpy as np
    import pandas as pd

    ts = ts if pd.api.types.is_datetime64_any_dtype(ts) else \
        pd.to_datetime(ts, errors="coerce", format="mixed", utc=True)  # text with zones: one time line
    ts = _naive(ts).dropna()
    days = pd.Series(1, index=ts).resample("D").sum()
    newest = ts.max()
    recent = ts[ts > newest - pd.Timedelta(days=window_days)]
    span = max((newest - recent.min()) / pd.Timedelta(days=1), 1.0) if len(recent) else 1.0
    return {"first": ts.min().isoformat(), "last": newest.isoformat(), "days": int(len(days)),
            "rows_per_day_mean": round(float(days.mean()), 2),
            "rows_per_day_p10": float(np.percentile(days, 10)),
            "rows_per_day_window": round(len(recent) / min(span, window_days), 2), "window_days": window_days,
            "staleness_days": round(float((now - newest) / pd.Timedelta(days=1)), 2),
            "as_of": now.isoformat(),
            "daily": {d.strftime("%Y-%m-%d"): int(v) for d, v in days.items()}}


def assess_frame(df: pd.DataFrame, target: str, task: str, time_column: str | None, features: list[str],
                 thresholds: dict[str, Any], now: pd.Timestamp | None = None, seed: int = 0,
                 curve: dict[str, Any] | None = None) -> dict[str, Any]:
    """Measure and judge; returns the assessment (checks, verdict, reasons and the measurements)."""
    import pandas as pd

    t = DEFAULTS | (thresholds or {})
    checks: list[dict[str, Any]] = []

    def check(name: str, value: Any, ok: bool, level: str, rule: str, detail: list[str] | None = None) -> None:
        checks.append({"check": name, "value": value, "ok": bool(ok), "level": level, "rule": rule,
                       **({"detail": detail} if detail else {})})

    if target not in df.columns:
        raise MlbpError(f"target '{target}' is not in the data", reason=Reason.CONFIG, key="target",
                        expected=list(df.columns), got=target)
    n = len(df)
    check("rows", n, n >= t["min_rows"], "fail", f">= {t['min_rows']}")
    rpf = n / max(len(features), 1)
    check("rows_per_feature", round(rpf, 1), rpf >= t["min_rows_per_feature"], "warn",
          f">= {t['min_rows_per_feature']}")
    out: dict[str, Any] = {"rows": n, "features": len(features), "task": task, "target": target}
    if task != "regression":
        counts = df[target].value_counts()
        out["class_balance"] = {str(k): int(v) for k, v in counts.items()}
        minority = int(counts.min()) if len(counts) else 0
        share = minority / n if n else 0.0
        check("classes", int(len(counts)), len(counts) >= 2, "fail", ">= 2")
        if len(counts):
            out["rarest_class"] = str(counts.idxmin())
        # binary: too few positives leave nothing to learn. Multiclass: one rare class among many is
        # normal; it is a warning here, and its recall is reported class by class by evaluate
        check("minority_count", minority, minority >= t["min_minority_count"], "fail" if task == "binary" else "warn",
              f">= {t['min_minority_count']}")
        check("minority_share", round(share, 4), share >= t["min_minority_share"], "warn",
              f">= {t['min_minority_share']}")
    else:
        y = pd.to_numeric(df[target], errors="coerce")
        std = float(y.std()) if y.notna().sum() > 1 else 0.0
        out["target_spread"] = {"std": std, "min": float(y.min()), "max": float(y.max()),
                                "p05": float(y.quantile(0.05)), "p50": float(y.median()),
                                "p95": float(y.quantile(0.95)), "distinct": int(y.nunique())}
        check("target_std", round(std, 6), std > t["min_target_std"], "fail", f"> {t['min_target_std']}")
    missing = df[features].isna().mean() if features else pd.Series(dtype=float)
    out["missing_share"] = {c: round(float(v), 4) for c, v in missing.items() if v > 0}
    worst = float(missing.max()) if len(missing) else 0.0
    over = sorted(c for c, v in missing.items() if v > t["max_missing_share"])
    check("max_missing_share", round(worst, 4), not over, "warn",
          f"<= {t['max_missing_share']} per column" + (f" (over: {', '.join(over)})" if over else ""))
    dup_share = float(df.duplicated().mean()) if n else 0.0
    out["duplicate_rows"] = int(round(dup_share * n))
    check("duplicate_share", round(dup_share, 5), dup_share <= t["max_duplicate_share"], "warn",
          f"<= {t['max_duplicate_share']}")
    constant = [c for c in features if df[c].nunique(dropna=False) <= 1]
    check("constant_columns", constant, not constant, "warn", "none")
    ids = id_like(df, features, t["id_like_share"])
    check("id_like_columns", ids, not ids, "warn", f"none with >= {t['id_like_share']:.0%} distinct values")
    usable = [c for c in features if c not in constant and c not in ids]
    scores = single_column_scores(df, target, task, usable, seed)
    limit = t["leakage_rho"] if task == "regression" else t["leakage_auc"]
    suspects = leakage_suspects(scores, limit, usable)  # the detector `mlbp init`'s column roles use
    out["single_column_scores"] = {"measure": "abs_spearman" if task == "regression" else "roc_auc", **scores}
    out["leakage"] = suspects
    check("leakage_suspects", [s["column"] for s in suspects], not suspects, t["leakage_level"],
          f"no single column with {'|rho|' if task == 'regression' else 'AUC'} >= {limit}, "
          "none named as recorded after the outcome",
          detail=[f"{s['column']}: {s['reason']}. Fix: {s['fix']}" for s in suspects])
    if curve is not None:
        from mlbp.data.learning_curve import learning_curve

        leaky = {s["column"] for s in suspects}
        lc = learning_curve(df, target, task, [c for c in usable if c not in leaky], time_column,
                            seed=seed, max_gain=t["learning_curve_max_gain"], **curve)
        out["learning_curve"] = lc
        if "last_gain" in lc:
            check("learning_curve_gain", lc["last_gain"], not lc["still_improving"], "warn",
                  f"<= {t['learning_curve_max_gain']} from 50% to 100% (else more data still pays)")
    if time_column and time_column in df.columns:
        now = now if now is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)
        arr = arrival(df[time_column], pd.Timestamp(now), int(t["window_days"]))
        out["arrival"] = arr
        check("rows_per_day", arr["rows_per_day_window"], arr["rows_per_day_window"] >= t["min_rows_per_day"], "fail",
              f">= {t['min_rows_per_day']} over the last {t['window_days']} days")
        check("staleness_days", arr["staleness_days"], arr["staleness_days"] <= t["max_staleness_days"], "warn",
              f"<= {t['max_staleness_days']}")
    out["checks"] = checks
    out["verdict"] = _verdict(checks)
    out["reasons"] = [f"{c['check']} = {c['value']} (want {c['rule']})" + "".join(f"; {d}" for d in c.get("detail", []))
                      for c in checks if not c["ok"]]
    return out


class Assess(Stage):
    """Makes `assessment` (assessment.json + learning_curve.png + arrival_rate.png) from `clean`.

    A `fail` verdict stops the run unless `fail_run: false`. `as_of` fixes "now" for freshness
    (default: the wall clock when the stage runs)."""

    needs: ClassVar[tuple[str, ...]] = ("clean",)
    makes: ClassVar[tuple[str, ...]] = ("assessment",)

    def __init__(self, target: str, task: str = "binary", time_column: str | None = None,
                 exclude: list[str] | None = None, thresholds: dict[str, Any] | None = None,
                 fail_run: bool = True, as_of: str | None = None, seed: int = 0,
                 learning_curve: dict[str, Any] | bool | None = True) -> None:
        self.target = target
        self.task = task
        self.time_column = time_column
        self.exclude = exclude or []
        self.thresholds = thresholds or {}
        self.fail_run = fail_run
        self.as_of = as_of
        self.seed = seed
        self.learning_curve = learning_curve

    def run(self, ctx: StageContext) -> None:
        import pandas as pd

        from mlbp.data.assess_plots import plot_arrival, plot_learning_curve

        df = read_frame(ctx.input("clean"))
        skip = {self.target, self.time_column, *self.exclude}
        features = [c for c in df.columns if c not in skip]
        unknown = sorted(set(self.thresholds) - set(DEFAULTS))
        if unknown:
            raise MlbpError(f"unknown thresholds {unknown}", reason=Reason.UNKNOWN_KEY, key="data.assess.thresholds",
                            expected=sorted(DEFAULTS), got=unknown)
        curve = None
        if self.learning_curve:
            curve = dict(self.learning_curve) if isinstance(self.learning_curve, dict) else {}
        result = assess_frame(df, self.target, self.task, self.time_column, features, self.thresholds,
                              now=pd.Timestamp(self.as_of) if self.as_of else None, seed=self.seed, curve=curve)
        out = ctx.output("assessment")
        write_json(result, out, "assessment.json")
        if "learning_curve" in result:
            plot_learning_curve(result["learning_curve"], out / "learning_curve.png")
        if "arrival" in result:
            rate = (DEFAULTS | self.thresholds)["min_rows_per_day"]
            plot_arrival(result["arrival"], rate, out / "arrival_rate.png")
        ctx.note(verdict=result["verdict"], rows=result["rows"], warnings=len(result["reasons"]))
        if result["verdict"] == "fail" and self.fail_run:
            raise MlbpError("feasibility verdict is fail: " + "; ".join(result["reasons"]), reason=Reason.FEASIBILITY,
                            key="data.assess.thresholds", fix="get more data, or set data.assess.fail_run=false")
