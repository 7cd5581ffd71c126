"""`mlbp registry diff A B`: what changed between two versions of a model.

Metrics and scorecard deltas, the data fingerprint and per-column profile deltas (from each
bundle's `profile.json`), the resolved config (dotted keys changed / added / removed), library
versions and code version. Pure reading: nothing here writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlbp.registry.store import Registry


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as {dotted.key: leaf}; lists stay leaves (they are compared whole)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out |= flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return {prefix: value}


def _numbers(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k), b.get(k)
        row: dict[str, Any] = {"a": x, "b": y}
        if isinstance(x, int | float) and isinstance(y, int | float) and not isinstance(x, bool):
            row["delta"] = y - x
        if x != y:  # unchanged values are left out: a diff shows what moved
            out[k] = row
    return out


def changed(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list]:
    fa, fb = flatten(a), flatten(b)
    return {"changed": [{"key": k, "a": fa[k], "b": fb[k]} for k in sorted(set(fa) & set(fb)) if fa[k] != fb[k]],
            "added": [{"key": k, "b": fb[k]} for k in sorted(set(fb) - set(fa))],
            "removed": [{"key": k, "a": fa[k]} for k in sorted(set(fa) - set(fb))]}


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def profile_delta(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Per column: null share change; numeric mean shift in units of A's std; categorical total
    variation distance between the category shares. Big numbers mean the data moved."""
    ca, cb = a.get("columns", {}), b.get("columns", {})
    cols = {}
    for name in sorted(set(ca) & set(cb)):
        pa, pb = ca[name], cb[name]
        row: dict[str, Any] = {"kind": pb.get("kind"),
                               "null_share": {"a": pa.get("null_share"), "b": pb.get("null_share")}}
        if pa.get("kind") == pb.get("kind") == "numeric" and pa.get("mean") is not None and pb.get("mean") is not None:
            std = pa.get("std") or 0.0
            row["mean"] = {"a": pa["mean"], "b": pb["mean"], "delta": pb["mean"] - pa["mean"]}
            row["shift_in_std"] = abs(pb["mean"] - pa["mean"]) / std if std else None
        elif pa.get("kind") == pb.get("kind") == "categorical":
            na, nb = sum(pa.get("counts", {}).values()) or 1, sum(pb.get("counts", {}).values()) or 1
            keys = set(pa.get("counts", {})) | set(pb.get("counts", {}))
            row["total_variation"] = 0.5 * sum(abs(pa.get("counts", {}).get(k, 0) / na
                                                   - pb.get("counts", {}).get(k, 0) / nb) for k in keys)
            row["new_categories"] = sorted(set(pb.get("counts", {})) - set(pa.get("counts", {})))[:10]
        cols[name] = row
    return {"rows": {"a": a.get("rows"), "b": b.get("rows")}, "columns": cols,
            "added_columns": sorted(set(cb) - set(ca)), "removed_columns": sorted(set(ca) - set(cb))}


def diff_versions(reg: Registry, name: str, a: str | int, b: str | int) -> dict[str, Any]:
    va, vb = reg.resolve(name, a), reg.resolve(name, b)
    ia, ib = va["info"] or {}, vb["info"] or {}
    la, lb = ia.get("lineage") or {}, ib.get("lineage") or {}
    ma, mb = _read(Path(va["path"]) / "manifest.json"), _read(Path(vb["path"]) / "manifest.json")
    sa, sb = ia.get("scorecard") or {}, ib.get("scorecard") or {}
    return {
        "model": name, "a": va["version"], "b": vb["version"],
        "metrics": _numbers(ia.get("metrics") or {}, ib.get("metrics") or {}),
        "scorecard": _numbers({k: v for k, v in flatten(sa).items() if not isinstance(v, list)},
                              {k: v for k, v in flatten(sb).items() if not isinstance(v, list)}),
        "data": {"fingerprint": {"a": la.get("data_fingerprint"), "b": lb.get("data_fingerprint"),
                                 "same": la.get("data_fingerprint") == lb.get("data_fingerprint")},
                 "profile": profile_delta(_read(Path(va["path"]) / "profile.json"),
                                          _read(Path(vb["path"]) / "profile.json"))},
        "config": changed(la.get("config") or {}, lb.get("config") or {}),
        "libraries": _numbers(ma.get("libraries") or la.get("libraries") or {},
                              mb.get("libraries") or lb.get("libraries") or {}),
        "code": {"a": la.get("code") or {}, "b": lb.get("code") or {}},
        "stack": {"a": ia.get("stack"), "b": ib.get("stack")},
    }


def render_text(d: dict[str, Any]) -> str:
    """The diff as plain text for the terminal."""
    lines = [f"{d['model']}: v{d['a']} -> v{d['b']}  (stack {d['stack']['a']} -> {d['stack']['b']})"]

    def section(title: str, rows: dict[str, dict[str, Any]]) -> None:
        lines.append(f"\n{title}:" + ("" if rows else " no change"))
        for k, r in rows.items():
            delta = f"  ({r['delta']:+.4g})" if isinstance(r.get("delta"), int | float) else ""
            lines.append(f"  {k}: {r['a']} -> {r['b']}{delta}")

    section("metrics", d["metrics"])
    section("scorecard", d["scorecard"])
    fp = d["data"]["fingerprint"]
    lines.append("\ndata: " + ("same fingerprint" if fp["same"] else "fingerprint changed"))
    fa, fb = fp["a"] or {}, fp["b"] or {}
    for k in sorted(set(fa) | set(fb)):
        if fa.get(k) != fb.get(k):
            lines.append(f"  {k}: {str(fa.get(k))[:12]} -> {str(fb.get(k))[:12]}")
    prof = d["data"]["profile"]
    if prof["rows"]["a"] is not None or prof["rows"]["b"] is not None:
        lines.append(f"  rows {prof['rows']['a']} -> {prof['rows']['b']}")
    for col, r in prof["columns"].items():
        moved = r.get("shift_in_std") or r.get("total_variation")
        if moved:
            what = "mean shift" if "shift_in_std" in r else "total variation"
            lines.append(f"  {col}: {what} {moved:.3f}" + (f", new categories {r['new_categories']}"
                                                           if r.get("new_categories") else ""))
    for k in ("added_columns", "removed_columns"):
        if prof[k]:
            lines.append(f"  {k.replace('_', ' ')}: {prof[k]}")
    cfg = d["config"]
    lines.append("\nconfig:" + ("" if any(cfg.values()) else " no change"))
    lines += [f"  ~ {c['key']}: {c['a']!r} -> {c['b']!r}" for c in cfg["changed"]]
    lines += [f"  + {c['key']}: {c['b']!r}" for c in cfg["added"]]
    lines += [f"  - {c['key']}: {c['a']!r}" for c in cfg["removed"]]
    section("libraries", d["libraries"])
    ca, cb = d["code"]["a"].get("git_commit"), d["code"]["b"].get("git_commit")
    lines.append(f"\ncode: {ca or 'unknown'} -> {cb or 'unknown'}")
    return "\n".join(lines)
