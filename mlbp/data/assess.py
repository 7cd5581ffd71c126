"""The assess stage: is there enough data, and does it arrive fast enough? pass / warn / fail."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import read_frame, write_json

DEFAULTS: dict[str, Any] = {
    "min_rows": 1000,
    "min_rows_per_feature": 50,
    "min_minority_count": 200,
    "max_missing_share": 0.3,
    "min_rows_per_day": 10,
    "max_staleness_days": 45,
}


def _verdict(checks: list[dict[str, Any]]) -> str:
    levels = {c["level"] for c in checks if not c["ok"]}
    return "fail" if "fail" in levels else "warn" if "warn" in levels else "pass"


def assess_frame(df: pd.DataFrame, target: str, task: str, time_column: str | None, features: list[str],
                 thresholds: dict[str, Any], now: pd.Timestamp | None = None) -> dict[str, Any]:
    t = DEFAULTS | (thresholds or {})
    checks: list[dict[str, Any]] = []

    def check(name: str, value: Any, ok: bool, level: str, rule: str) -> None:
        checks.append({"check": name, "value": value, "ok": bool(ok), "level": level, "rule": rule})

    n = len(df)
    check("rows", n, n >= t["min_rows"], "fail", f">= {t['min_rows']}")
    rpf = n / max(len(features), 1)
    check("rows_per_feature", round(rpf, 1), rpf >= t["min_rows_per_feature"], "warn",
          f">= {t['min_rows_per_feature']}")
    out: dict[str, Any] = {"rows": n, "features": len(features)}
    if task != "regression":
        counts = df[target].value_counts()
        out["class_balance"] = {str(k): int(v) for k, v in counts.items()}
        minority = int(counts.min()) if len(counts) else 0
        check("minority_count", minority, minority >= t["min_minority_count"], "fail", f">= {t['min_minority_count']}")
    else:
        y = pd.to_numeric(df[target], errors="coerce")
        out["target_spread"] = {"std": float(y.std()), "min": float(y.min()), "max": float(y.max())}
        check("target_spread", float(y.std()), y.std() > 0, "fail", "> 0")
    missing = df[features].isna().mean()
    out["missing_share"] = {c: round(float(v), 4) for c, v in missing.items() if v > 0}
    worst = float(missing.max()) if len(missing) else 0.0
    check("max_missing_share", round(worst, 4), worst <= t["max_missing_share"], "warn", f"<= {t['max_missing_share']}")
    dups = int(df.duplicated().sum())
    check("duplicate_rows", dups, dups == 0, "warn", "== 0")
    constant = [c for c in features if df[c].nunique(dropna=False) <= 1]
    check("constant_columns", constant, not constant, "warn", "none")
    if time_column and time_column in df.columns:
        ts = pd.to_datetime(df[time_column])
        days = pd.Series(1, index=ts).resample("D").sum()
        now = now or ts.max()
        rate = float(days.mean())
        stale = float((now - ts.max()) / pd.Timedelta(days=1))
        out["arrival"] = {"first": ts.min().isoformat(), "last": ts.max().isoformat(), "days": int(len(days)),
                          "rows_per_day_mean": round(rate, 2), "rows_per_day_p10": float(np.percentile(days, 10)),
                          "daily": {d.strftime("%Y-%m-%d"): int(v) for d, v in days.items()}}
        check("rows_per_day", round(rate, 2), rate >= t["min_rows_per_day"], "fail", f">= {t['min_rows_per_day']}")
        check("staleness_days", round(stale, 2), stale <= t["max_staleness_days"], "warn",
              f"<= {t['max_staleness_days']}")
    out["checks"] = checks
    out["verdict"] = _verdict(checks)
    out["reasons"] = [f"{c['check']} = {c['value']} (want {c['rule']})" for c in checks if not c["ok"]]
    return out


class Assess(Stage):
    """Makes `assessment` from `clean`. A `fail` verdict stops the run unless `fail_run: false`."""

    needs: ClassVar[tuple[str, ...]] = ("clean",)
    makes: ClassVar[tuple[str, ...]] = ("assessment",)

    def __init__(self, target: str, task: str = "binary", time_column: str | None = None,
                 exclude: list[str] | None = None, thresholds: dict[str, Any] | None = None,
                 fail_run: bool = True) -> None:
        self.target = target
        self.task = task
        self.time_column = time_column
        self.exclude = exclude or []
        self.thresholds = thresholds or {}
        self.fail_run = fail_run

    def run(self, ctx: StageContext) -> None:
        df = read_frame(ctx.input("clean"))
        skip = {self.target, self.time_column, *self.exclude}
        features = [c for c in df.columns if c not in skip]
        result = assess_frame(df, self.target, self.task, self.time_column, features, self.thresholds)
        write_json(result, ctx.output("assessment"), "assessment.json")
        ctx.note(verdict=result["verdict"], rows=result["rows"])
        if result["verdict"] == "fail" and self.fail_run:
            raise MlbpError("feasibility verdict is fail: " + "; ".join(result["reasons"]), reason=Reason.FEASIBILITY,
                            key="data.assess.thresholds", fix="get more data, or set data.assess.fail_run=false")
