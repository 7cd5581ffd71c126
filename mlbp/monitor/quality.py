"""Data quality of production inputs, judged against the contract and the training profile.

Per feature: missing from requests, null share (vs the contract's `nullable` and the training null
share plus a tolerance), out-of-range share (outside the contract's min/max, else outside the
training min/max), unseen-category share (not in the contract's `allowed` list or the training
categories), type errors (a value that is not a number in a numeric column) and, for text columns with a
contract `regex`, the share that does not match it. A column fails
when any share passes its limit; the result names the column, the check, the share and the limit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mlbp.monitor.window import Window


class QualityMonitor:
    name = "quality"

    def __init__(self, max_null_increase: float = 0.05, max_out_of_range: float = 0.01, max_unseen: float = 0.01,
                 max_type_errors: float = 0.0, max_pattern_mismatch: float = 0.01,
                 columns: list[str] | None = None) -> None:
        self.max_pattern_mismatch = max_pattern_mismatch
        self.max_null_increase = max_null_increase
        self.max_out_of_range = max_out_of_range
        self.max_unseen = max_unseen
        self.max_type_errors = max_type_errors
        self.columns = columns

    def check(self, inputs: pd.DataFrame, signature: dict[str, Any], profile: dict[str, Any],
              contract: dict[str, Any]) -> dict[str, Any]:
        spec_cols = (contract or {}).get("columns", {})
        sig_inputs = signature.get("inputs", {})
        cols = self.columns or list(sig_inputs) or list(profile.get("columns", {}))
        n = len(inputs)
        columns: dict[str, dict[str, Any]] = {}
        failures: list[dict[str, Any]] = []
        for col in cols:
            sig = sig_inputs.get(col, {})
            spec = spec_cols.get(col, {})
            prof = profile.get("columns", {}).get(col, {})
            kind = sig.get("kind") or prof.get("kind")
            if col not in inputs.columns:
                columns[col] = {"missing": True}
                failures.append({"column": col, "check": "missing", "share": 1.0, "limit": 0.0})
                continue
            s = inputs[col]
            null_share = float(s.isna().mean()) if n else 0.0
            r: dict[str, Any] = {"null_share": null_share, "train_null_share": prof.get("null_share", 0.0)}
            nullable = spec.get("nullable", sig.get("nullable", True))
            null_limit = (prof.get("null_share", 0.0) + self.max_null_increase) if nullable else 0.0
            r["null_limit"] = null_limit
            if null_share > null_limit:
                failures.append({"column": col, "check": "null_share", "share": null_share, "limit": null_limit})
            present = s.dropna()
            if kind == "numeric":
                v = pd.to_numeric(present, errors="coerce")
                type_err = float(v.isna().mean()) if len(v) else 0.0
                v = v.dropna().to_numpy(dtype=float)
                lo = spec.get("min", sig.get("min"))
                hi = spec.get("max", sig.get("max"))
                lo = prof.get("min") if lo is None else lo
                hi = prof.get("max") if hi is None else hi
                out = np.zeros(len(v), dtype=bool)
                if lo is not None:
                    out |= v < float(lo)
                if hi is not None:
                    out |= v > float(hi)
                oor = float(out.mean()) if len(v) else 0.0
                r |= {"type_error_share": type_err, "out_of_range_share": oor, "range": [lo, hi]}
                if type_err > self.max_type_errors:
                    failures.append({"column": col, "check": "type_error", "share": type_err,
                                     "limit": self.max_type_errors})
                if oor > self.max_out_of_range:
                    failures.append({"column": col, "check": "out_of_range", "share": oor,
                                     "limit": self.max_out_of_range, "range": [lo, hi]})
            else:
                known = spec.get("allowed") or sig.get("categories") or list(prof.get("counts", {}))
                known_set = {str(k) for k in known}
                unseen_mask = ~present.astype(str).isin(known_set)
                unseen = float(unseen_mask.mean()) if len(present) and known_set else 0.0
                examples = present[unseen_mask].astype(str).value_counts().head(5).to_dict() if unseen else {}
                r |= {"unseen_share": unseen, "unseen_examples": examples}
                if spec.get("regex") and len(present):  # the contract's pattern, matched from the start
                    bad = float((~present.astype(str).str.match(spec["regex"])).mean())
                    r["pattern_mismatch_share"] = bad
                    if bad > self.max_pattern_mismatch:
                        failures.append({"column": col, "check": "regex", "share": bad,
                                         "limit": self.max_pattern_mismatch, "pattern": spec["regex"]})
                if unseen > self.max_unseen:
                    failures.append({"column": col, "check": "unseen_categories", "share": unseen,
                                     "limit": self.max_unseen, "examples": examples})
            columns[col] = r
        return {"rows": n, "columns": columns, "failures": failures, "failed_columns":
                sorted({f["column"] for f in failures}), "passed": not failures}

    def run(self, window: Window) -> dict[str, Any]:
        return self.check(window.inputs(), window.manifest.get("signature", {}), window.profile, window.contract)
