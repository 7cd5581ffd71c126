"""Whether a version may take an alias: the alias policy's checks (blessed, smoke tests, contract
compatibility with the version serving now) and its approvals, with every missing item named."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from mlbp.registry import policy as rules
from mlbp.registry.lineage import run_manifest_of, signature_of

if TYPE_CHECKING:
    from mlbp.registry.store import Registry


def promotion_status(reg: Registry, conn: Connection, v: dict[str, Any], alias: str, acknowledge_contract: bool
                     ) -> dict[str, Any]:
    """What promoting version `v` to `alias` needs now: the policy's checks, counted approvals, `missing`."""
    rule = reg.policy.for_alias(alias)
    name, info = v["model"], v["info"] or {}
    approvals = reg._approvals(conn, name, v["version"], alias)
    missing = rules.missing_approvals(rule, v["author"] or "", approvals)
    holder = reg._aliases(conn, name).get(alias)
    checks: dict[str, Any] = {}
    changes: list[str] = []
    if "blessed" in rule.checks:
        checks["blessed"] = bool((info.get("scorecard") or {}).get("blessed"))
        if not checks["blessed"]:
            failed = (info.get("scorecard") or {}).get("failed_rules") or ["no scorecard recorded"]
            missing.append(f"check blessed: the scorecard did not bless v{v['version']} ({'; '.join(failed)})")
    if "smoke_tests" in rule.checks:
        smoke = rules.smoke_result(info, run_manifest_of(info))
        checks["smoke_tests"] = smoke
        if smoke is not True:
            missing.append("check smoke_tests: " + ("failed" if smoke is False else
                           "no smoke-test result recorded for this version"))
    if "contract" in rule.checks:
        serving = reg._get(conn, name, holder) if holder is not None and holder != v["version"] else None
        changes = rules.contract_changes(signature_of(serving), signature_of(v)) if serving else []
        checks["contract"] = not changes or bool(acknowledge_contract)
        if not checks["contract"]:
            missing.append(f"check contract: incompatible with the serving v{holder} "
                           f"({'; '.join(changes)}) and the change is not acknowledged")
    counted = rules.counted_approvals(rule, v["author"] or "", approvals)
    return {"model": name, "version": v["version"], "alias": alias, "holder": holder, "checks": checks,
            "approvals": counted, "all_approvals": approvals, "contract_changes": changes,
            "required": {"approvals": rule.approvals, "roles": list(rule.roles), "each_of": list(rule.each_of),
                         "checks": list(rule.checks)}, "missing": missing}
