"""The promotion policy: what moving an alias requires, evaluated into a list of what is missing.

Declared per alias in `conf/registry/*.yaml` (`registry.policy`); an alias without its own entry
uses the `"*"` entry. Pure functions over plain data, so the same rules run in the CLI, the
register stage, the dashboard and the tests.

    champion:
      approvals: {count: 2, roles: [approver], each_of: [lead]}  # 2 approvers; one must be a lead
      author_may_approve: false
      checks: [blessed, smoke_tests, contract]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlbp.engine.errors import MlbpError, Reason

KNOWN_CHECKS = ("blessed", "smoke_tests", "contract")


@dataclass(frozen=True)
class AliasPolicy:
    alias: str
    approvals: int = 0
    roles: tuple[str, ...] = ()  # an approval counts only from someone holding one of these
    each_of: tuple[str, ...] = ()  # at least one approval from each of these roles
    author_may_approve: bool = False
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    aliases: dict[str, AliasPolicy] = field(default_factory=dict)
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # actor -> roles
    auto_rollback: dict[str, Any] = field(default_factory=dict)

    def for_alias(self, alias: str) -> AliasPolicy:
        if alias in self.aliases:
            return self.aliases[alias]
        default = self.aliases.get("*")
        return AliasPolicy(alias=alias, **{k: getattr(default, k) for k in
                                          ("approvals", "roles", "each_of", "author_may_approve", "checks")}) \
            if default else AliasPolicy(alias=alias)

    def roles_of(self, actor: str) -> tuple[str, ...]:
        return self.roles.get(actor, ())

    @classmethod
    def from_config(cls, policy: dict[str, Any] | None = None, roles: dict[str, Any] | None = None,
                    auto_rollback: dict[str, Any] | None = None) -> Policy:
        aliases = {}
        for alias, spec in (policy or {}).items():
            spec = dict(spec or {})
            appr = spec.pop("approvals", {}) or {}
            if isinstance(appr, int):
                appr = {"count": appr}
            checks = tuple(spec.pop("checks", ()) or ())
            unknown = [c for c in checks if c not in KNOWN_CHECKS]
            if unknown:
                raise MlbpError(f"unknown promotion check(s) {unknown}", key=f"registry.policy.{alias}.checks",
                                expected=list(KNOWN_CHECKS), got=unknown)
            author = bool(spec.pop("author_may_approve", False))
            if spec:
                raise MlbpError(f"unknown policy key(s) {sorted(spec)}", key=f"registry.policy.{alias}",
                                reason=Reason.UNKNOWN_KEY,
                                expected="approvals, author_may_approve, checks", got=sorted(spec))
            aliases[str(alias)] = AliasPolicy(
                alias=str(alias), approvals=int(appr.get("count", 0)), roles=tuple(appr.get("roles", ()) or ()),
                each_of=tuple(appr.get("each_of", ()) or ()), author_may_approve=author, checks=checks)
        return cls(aliases=aliases, roles={str(a): tuple(r or ()) for a, r in (roles or {}).items()},
                   auto_rollback=dict(auto_rollback or {}))


def counted_approvals(rule: AliasPolicy, author: str, approvals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The approvals that count under the rule: distinct actors, not the author unless allowed,
    holding one of the required roles when roles are required."""
    seen, out = set(), []
    for a in approvals:
        if a["actor"] in seen or (a["actor"] == author and not rule.author_may_approve):
            continue
        if rule.roles and not set(a.get("roles") or ()) & set(rule.roles):
            continue
        seen.add(a["actor"])
        out.append(a)
    return out


def missing_approvals(rule: AliasPolicy, author: str, approvals: list[dict[str, Any]]) -> list[str]:
    counted = counted_approvals(rule, author, approvals)
    out = []
    if len(counted) < rule.approvals:
        who = f" from {' or '.join(rule.roles)}" if rule.roles else ""
        names = ", ".join(a["actor"] for a in counted) or "none"
        out.append(f"approvals: {len(counted)} of {rule.approvals} required{who} (counted: {names}"
                   + ("; the author's own approval does not count" if not rule.author_may_approve else "") + ")")
    held = {r for a in counted for r in (a.get("roles") or ())}
    out += [f"approvals: none yet from a '{role}'" for role in rule.each_of if role not in held]
    return out


def contract_changes(serving: dict[str, Any] | None, candidate: dict[str, Any] | None) -> list[str]:
    """Why `candidate`'s input signature would break clients of `serving` (empty = compatible).

    Compatible means: every input the candidate needs is one the serving model's clients already
    send, with the same kind and dtype; a categorical input accepts every category it accepted."""
    if not serving or not candidate:
        return []
    old, new = serving.get("inputs", {}), candidate.get("inputs", {})
    out = []
    for col, spec in new.items():
        before = old.get(col)
        if before is None:
            if not spec.get("nullable"):
                out.append(f"new required input '{col}'")
            continue
        for k in ("kind", "dtype"):
            if before.get(k) != spec.get(k):
                out.append(f"input '{col}': {k} {before.get(k)} -> {spec.get(k)}")
        lost = sorted(set(before.get("categories") or ()) - set(spec.get("categories") or ()))
        if spec.get("kind") == "categorical" and lost:
            out.append(f"input '{col}': no longer accepts categories {lost[:5]}")
        if before.get("nullable") and not spec.get("nullable"):
            out.append(f"input '{col}': nulls no longer accepted")
    if serving.get("task") != candidate.get("task"):
        out.append(f"task {serving.get('task')} -> {candidate.get('task')}")
    return out


# Manifests written before stages declared their check kind: these targets are the smoke checks.
_SMOKE_TARGETS = ("mlbp.deploy.smoke.golden.GoldenCheck", "mlbp.deploy.smoke.serve.ServeCheck",
                  "mlbp.deploy.smoke.reconcile.BatchReconcile")


def smoke_result(info: dict[str, Any], run_manifest: dict[str, Any] | None) -> bool | None:
    """Smoke-test outcome recorded for a version: a check recorded in the registry
    (`Registry.record_check`), else its run manifest: every stage that declared itself a smoke
    check (`Stage.check = "smoke"`, recorded per stage as `check`) finished. None = none ran."""
    recorded = (info.get("checks") or {}).get("smoke_tests")
    if recorded is not None:
        return bool(recorded.get("passed"))
    found: list[bool] = []
    for stage in (run_manifest or {}).get("stages", {}).values():
        kind = stage.get("check") if "check" in stage else ("smoke" if stage.get("target") in _SMOKE_TARGETS
                                                              else None)
        if kind == "smoke":
            found.append(stage.get("status") in ("done", "cached") or bool(stage.get("cache_hit")))
    return all(found) if found else None
