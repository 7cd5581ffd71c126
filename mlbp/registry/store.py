"""Register bundles as numbered versions and move aliases, in serialized transactions.

A bundle is copied into `<root>/<model>/v<N>/` and verified there, so the registry never points
at a folder the artifact store might clean up. Registering the same bundle twice returns the
existing version: a re-run never creates a duplicate.

Every change (register, approve, promote, rollback, archive, tag, check) writes its audit record
in the same transaction as the change itself, then notifies the configured sinks. Promotions go
through the promotion policy (`mlbp.registry.policy`); `set_alias` is the unchecked primitive the
policy-checked `promote` and `rollback` are built on.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from mlbp.engine import targets
from mlbp.engine.errors import MlbpError, Reason
from mlbp.governance.audit import AuditLog
from mlbp.registry import policy as rules
from mlbp.registry.bundle import verify
from mlbp.registry.db import (
    alias_history_table,
    alias_table,
    approval_table,
    engine_for,
    json_safe,
    model_table,
    redact,
    tag_table,
    version_table,
    write_transaction,
)
from mlbp.registry.notify import Notifier, Sink
from mlbp.registry.pinning import pin_of
from mlbp.registry.promotion import promotion_status


def registry_of(section: dict[str, Any]) -> Registry:
    """The registry a config's `registry:` section describes (db, root, policy, roles,
    auto_rollback, notify.sinks). Every stage and command builds it here, so a team that points
    `registry.db` (or `registry.root`) elsewhere finds its versions and champion everywhere."""
    missing = [k for k in ("db", "root") if not section.get(k)]
    if missing:
        raise MlbpError(f"the registry section lacks {missing}", reason=Reason.CONFIG, key="registry",
                        expected="registry.db (a SQLAlchemy URL) and registry.root (a folder)", got=sorted(section))
    policy = rules.Policy.from_config(section.get("policy"), section.get("roles"), section.get("auto_rollback"))
    return Registry(str(section["db"]), str(section["root"]), policy, (section.get("notify") or {}).get("sinks") or [])


MAX_VERSION = 2**31 - 1


def version_number(ref: Any) -> int | None:
    """A version reference (`3`, `"3"`, `"v3"`) as its number; None for an alias name. Only ASCII
    digits count (`"¹".isdigit()` is true, `int("¹")` fails), and a number past any version a
    registry can hold is refused here rather than by the database."""
    if isinstance(ref, bool):
        return None
    if isinstance(ref, int):
        number = ref
    else:
        text = str(ref)
        text = text[1:] if text[:1] == "v" else text
        if not (text.isascii() and text.isdigit()):
            return None
        if len(text) > 10:
            raise MlbpError(f"version {ref} is out of range", reason=Reason.REGISTRY, key="version",
                            expected=f"1 to {MAX_VERSION}", got=str(ref)[:40])
        number = int(text)
    if not 1 <= number <= MAX_VERSION:
        raise MlbpError(f"version {ref} is out of range", reason=Reason.REGISTRY, key="version",
                        expected=f"1 to {MAX_VERSION}", got=str(ref)[:40])
    return number


class Registry:
    def __init__(self, url: str, root: str | Path, policy: rules.Policy | None = None,
                 sinks: Sequence[Sink | dict[str, Any]] | None = None) -> None:
        self.url = url
        self.root = Path(root)
        try:
            self.engine = engine_for(url)
            self.audit = AuditLog(url)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise MlbpError(f"cannot open the registry database: {exc.__class__.__name__}: {str(exc).splitlines()[0]}",
                            reason=Reason.REGISTRY, key="registry.db", expected="a reachable SQLAlchemy URL",
                            got=redact(url), fix="check the URL, that the server runs, and the driver is installed "
                                                  '(pip install "mlbp[postgres]")') from exc
        self.policy = policy or rules.Policy()
        self.notify = Notifier(s if isinstance(s, Sink) else targets.build(s, f"registry.notify.sinks[{i}]")
                               for i, s in enumerate(sinks or []))

    # ---- writing -------------------------------------------------------------------------
    def _change(self, work: Any) -> Any:
        """Run `work(conn, events)` serialized; audit records appended to `events` are notified
        after the commit (never for a change that rolled back)."""
        events: list[dict[str, Any]] = []

        def tx(conn: Connection) -> Any:
            events.clear()
            return work(conn, events)

        result = write_transaction(self.engine, tx)
        for event in events:
            self.notify(event)
        return result

    def _event(self, conn: Connection, events: list, kind: str, actor: str, subject: str,
               details: dict[str, Any], reason: str = "") -> None:
        events.append(self.audit.append(kind, actor, subject, details, reason, conn=conn))

    def register(self, name: str, bundle: str | Path, bundle_sha: str, author: str = "", run_id: str = "",
                 info: dict[str, Any] | None = None, reason: str = "") -> dict[str, Any]:
        manifest = verify(bundle)
        # what the bundle itself says, unless the caller knows better; the pin is the registry's own
        info = {k: manifest.get(k) for k in ("stack", "metrics", "scorecard", "threshold")} | (info or {}) \
            | {"pin": pin_of(bundle)}
        existing = self.find_by_bundle(name, bundle_sha)
        if existing:
            return existing | {"created_now": False}

        def work(conn: Connection, events: list) -> dict[str, Any]:
            found = conn.execute(select(version_table).where(
                version_table.c.model == name, version_table.c.bundle_sha == bundle_sha)).mappings().first()
            if found:
                return dict(found) | {"created_now": False}
            if conn.execute(select(model_table.c.name).where(model_table.c.name == name)).first() is None:
                conn.execute(insert(model_table).values(name=name, created=time.time()))
            n = (conn.execute(select(func.max(version_table.c.version)).where(version_table.c.model == name))
                 .scalar() or 0) + 1
            target = self.root / name / f"v{n}"
            conn.execute(insert(version_table).values(
                model=name, version=n, bundle_sha=bundle_sha, path=str(target), created=time.time(),
                author=author, run_id=run_id, status="registered", info=json_safe(info or {})))
            self._copy(Path(bundle), target)
            scorecard = (info or {}).get("scorecard") or {}
            self._event(conn, events, "register", author, f"{name}/v{n}",
                        {"model": name, "version": n, "before": None,
                         "after": {"bundle_sha": bundle_sha, "pin": info["pin"], "run_id": run_id,
                                   "blessed": scorecard.get("blessed")}},
                        reason)
            return {"version": n, "created_now": True}

        out = self._change(work)
        return self.get(name, out["version"]) | {"created_now": out["created_now"]}

    def _copy(self, src: Path, target: Path) -> None:
        if target.exists():
            shutil.rmtree(target)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        shutil.copytree(src, tmp)
        tmp.rename(target)

    def set_alias(self, name: str, alias: str, version: int, actor: str = "system", reason: str = "",
                  action: str = "promote", details: dict[str, Any] | None = None) -> int | None:
        """Point alias at version (unchecked; `promote` checks the policy first); records the move
        in the alias history and the audit trail. Returns the version it pointed at before."""
        return self._change(lambda conn, events: self._move(conn, events, name, alias, int(version), actor,
                                                            reason, action, details or {}))

    def _move(self, conn: Connection, events: list, name: str, alias: str, version: int, actor: str,
              reason: str, action: str, details: dict[str, Any]) -> int | None:
        self._get(conn, name, version)
        row = conn.execute(select(alias_table.c.version).where(
            alias_table.c.model == name, alias_table.c.alias == alias)).first()
        before = None if row is None else int(row[0])
        now = time.time()
        if row is None:
            conn.execute(insert(alias_table).values(model=name, alias=alias, version=version, updated=now))
        else:
            conn.execute(update(alias_table).where(alias_table.c.model == name, alias_table.c.alias == alias)
                         .values(version=version, updated=now))
        conn.execute(insert(alias_history_table).values(model=name, alias=alias, version=version, previous=before,
                                                         action=action, actor=actor or "unknown", reason=reason,
                                                         time=now))
        self._event(conn, events, action, actor, f"{name}:{alias}",
                    {"model": name, "alias": alias, "before": before, "after": version, **details}, reason)
        return before

    def approve(self, name: str, version: int, alias: str, actor: str, reason: str = "") -> dict[str, Any]:
        """Record `actor`'s approval of moving `alias` to `version`. Refused for the version's author
        (unless the alias policy allows it) and for actors without a role the policy requires."""
        rule = self.policy.for_alias(alias)
        roles = list(self.policy.roles_of(actor))

        def work(conn: Connection, events: list) -> dict[str, Any]:
            v = self._get(conn, name, version)
            if v["author"] == actor and not rule.author_may_approve:
                raise MlbpError(f"{actor} registered {name} v{version} and may not approve it",
                                reason=Reason.POLICY, key=f"registry.policy.{alias}.author_may_approve",
                                expected="an approver other than the author", got=actor,
                                fix="ask a colleague to approve")
            needed = set(rule.roles) | set(rule.each_of)
            if needed and not needed & set(roles):
                raise MlbpError(f"{actor} holds none of the roles that may approve '{alias}'",
                                reason=Reason.POLICY, key="registry.roles", expected=sorted(needed), got=roles,
                                fix=f"give {actor} a role in registry.roles, or ask someone who has one")
            done = conn.execute(select(approval_table.c.id).where(
                approval_table.c.model == name, approval_table.c.version == version,
                approval_table.c.alias == alias, approval_table.c.actor == actor)).first()
            if done:
                return {"model": name, "version": version, "alias": alias, "actor": actor, "new": False}
            conn.execute(insert(approval_table).values(model=name, version=version, alias=alias, actor=actor,
                                                       roles=roles, reason=reason, time=time.time()))
            self._event(conn, events, "approve", actor, f"{name}/v{version}",
                        {"model": name, "version": version, "alias": alias, "roles": roles,
                         "before": None, "after": "approved"}, reason)
            return {"model": name, "version": version, "alias": alias, "actor": actor, "new": True}

        return self._change(work)

    def promote(self, name: str, ref: str | int, alias: str, actor: str, reason: str = "",
                acknowledge_contract: bool = False) -> dict[str, Any]:
        """Move `alias` to the version `ref` names if the alias policy is satisfied; otherwise
        refuse with every missing approval and check listed."""
        def work(conn: Connection, events: list) -> dict[str, Any]:
            v = self._resolve(conn, name, ref)
            status = promotion_status(self, conn, v, alias, acknowledge_contract)
            if status["missing"]:
                raise MlbpError(f"promotion of {name} v{v['version']} to '{alias}' refused; missing:\n  - "
                                + "\n  - ".join(status["missing"]), reason=Reason.POLICY,
                                key=f"registry.policy.{alias}", expected="every approval and check",
                                got=f"{len(status['missing'])} missing",
                                fix="`mlbp registry approve` by the required approvers, run the missing checks, "
                                    "or acknowledge the contract change (registry.acknowledge_contract=true)")
            if status["holder"] == v["version"]:
                return {"model": name, "alias": alias, "before": v["version"], "after": v["version"], "moved": False}
            before = self._move(conn, events, name, alias, v["version"], actor, reason, "promote",
                                {"checks": status["checks"], "approvals": [a["actor"] for a in status["approvals"]],
                                 "contract_acknowledged": bool(acknowledge_contract and status["contract_changes"])})
            return {"model": name, "alias": alias, "before": before, "after": v["version"], "moved": True}

        return self._change(work)

    def rollback(self, name: str, alias: str = "champion", actor: str = "system", reason: str = "",
                 action: str = "rollback", details: dict[str, Any] | None = None) -> dict[str, Any]:
        """Move `alias` back to the version that held it before the current holder (following the
        promotions that put each holder there, so repeated rollbacks walk further back)."""
        def work(conn: Connection, events: list) -> dict[str, Any]:
            current = conn.execute(select(alias_table.c.version).where(
                alias_table.c.model == name, alias_table.c.alias == alias)).scalar()
            if current is None:
                raise MlbpError(f"model '{name}' has no alias '{alias}' to roll back", reason=Reason.REGISTRY,
                                key="alias", expected=sorted(self._aliases(conn, name)) or "a promoted alias",
                                got=alias)
            target = conn.execute(select(alias_history_table.c.previous).where(
                alias_history_table.c.model == name, alias_history_table.c.alias == alias,
                alias_history_table.c.version == current,
                alias_history_table.c.action.in_(("promote", "auto_promote")))
                .order_by(alias_history_table.c.id.desc()).limit(1)).scalar()
            if target is None:
                raise MlbpError(f"'{alias}' of '{name}' (v{current}) has no previous holder to roll back to",
                                reason=Reason.REGISTRY, key="alias", fix="promote another version instead")
            self._move(conn, events, name, alias, int(target), actor, reason, action,
                       {"rolled_back": current, **(details or {})})
            return {"model": name, "alias": alias, "before": current, "after": int(target)}

        return self._change(work)

    def on_alert(self, name: str, alert: dict[str, Any], via: str) -> dict[str, Any] | None:
        """The one automatic rollback: on a monitor alert, only when `registry.auto_rollback.enabled`
        and the alert's severity is listed; returns the rollback, or None when the policy says no.
        `mlbp monitor` and the dashboard's alert endpoint both come here, so the same alert gives
        the same audit record (actor `monitor`), `via` saying which way it arrived."""
        auto = self.policy.auto_rollback or {}
        severities = auto.get("severities", ["critical"])
        if not auto.get("enabled") or str(alert.get("severity", "")).lower() not in severities:
            return None
        reason = f"automatic rollback on {alert.get('severity')} alert: {alert.get('message') or alert.get('name')}"
        return self.rollback(name, auto.get("alias", "champion"), "monitor", reason, action="auto_rollback",
                             details={"via": via, "rule": alert.get("rule")})

    def archive(self, name: str, version: int, actor: str, reason: str = "") -> dict[str, Any]:
        def work(conn: Connection, events: list) -> dict[str, Any]:
            v = self._get(conn, name, version)
            held = [a for a, n in self._aliases(conn, name).items() if n == version]
            if held:
                raise MlbpError(f"{name} v{version} still holds {held}; move them first", reason=Reason.POLICY,
                                key="alias", fix="promote another version or roll back first")
            conn.execute(update(version_table).where(version_table.c.id == v["id"]).values(status="archived"))
            self._event(conn, events, "archive", actor, f"{name}/v{version}",
                        {"model": name, "version": version, "before": v["status"], "after": "archived"}, reason)
            return {"model": name, "version": version, "status": "archived"}

        return self._change(work)

    def set_tag(self, name: str, version: int, key: str, value: str, actor: str = "system") -> None:
        def work(conn: Connection, events: list) -> None:
            self._get(conn, name, version)
            old = conn.execute(select(tag_table.c.value).where(
                tag_table.c.model == name, tag_table.c.version == version, tag_table.c.key == key)).scalar()
            conn.execute(delete(tag_table).where(tag_table.c.model == name, tag_table.c.version == version,
                                                 tag_table.c.key == key))
            conn.execute(insert(tag_table).values(model=name, version=version, key=key, value=str(value)))
            self._event(conn, events, "tag", actor, f"{name}/v{version}",
                        {"model": name, "version": version, "key": key, "before": old, "after": str(value)})

        self._change(work)

    def record_check(self, name: str, version: int, check: str, passed: bool, details: dict[str, Any] | None = None,
                     actor: str = "system") -> None:
        """Record a check result (e.g. `smoke_tests` from a deployment) in the version's info."""
        def work(conn: Connection, events: list) -> None:
            v = self._get(conn, name, version)
            info = dict(v["info"] or {})
            before = (info.get("checks") or {}).get(check)
            info["checks"] = {**(info.get("checks") or {}),
                              check: {"passed": bool(passed), "details": details or {}, "time": time.time()}}
            conn.execute(update(version_table).where(version_table.c.id == v["id"]).values(info=json_safe(info)))
            self._event(conn, events, "check", actor, f"{name}/v{version}",
                        {"model": name, "version": version, "check": check, "before": before,
                         "after": {"passed": bool(passed)}})

        self._change(work)

    # ---- reading -------------------------------------------------------------------------
    def promotion_status(self, name: str, ref: str | int, alias: str, acknowledge_contract: bool = False
                         ) -> dict[str, Any]:
        """What promoting `ref` to `alias` would need right now: checks, approvals, and `missing`."""
        with self.engine.connect() as conn:
            return promotion_status(self, conn, self._resolve(conn, name, ref), alias, acknowledge_contract)

    def _get(self, conn: Connection, name: str, version: int) -> dict[str, Any]:
        row = conn.execute(select(version_table).where(
            version_table.c.model == name, version_table.c.version == int(version))).mappings().first()
        if row is None:
            known = [r[0] for r in conn.execute(select(version_table.c.version).where(
                version_table.c.model == name).order_by(version_table.c.version))]
            raise MlbpError(f"model '{name}' has no version {version}", reason=Reason.REGISTRY, key="version",
                            expected=f"one of {known}" if known else f"a registered version of '{name}'", got=version)
        return dict(row)

    def _aliases(self, conn: Connection, name: str) -> dict[str, int]:
        return {r.alias: r.version for r in conn.execute(select(alias_table).where(alias_table.c.model == name))}

    def _resolve(self, conn: Connection, name: str, ref: str | int) -> dict[str, Any]:
        number = version_number(ref)
        if number is not None:
            return self._get(conn, name, number)
        aliases = self._aliases(conn, name)
        if str(ref) not in aliases:
            raise MlbpError(f"model '{name}' has no alias '{ref}'", reason=Reason.REGISTRY, key="alias",
                            expected=sorted(aliases) or "an alias set with `mlbp registry promote`", got=ref)
        return self._get(conn, name, aliases[str(ref)])

    def checked(self, name: str, ref: str | int) -> dict[str, Any]:
        """resolve(), and the version's bundle folder is what was registered (mlbp.registry.pinning):
        what every command that loads a registered model calls before unpickling it."""
        from mlbp.registry.pinning import check_pinned

        row = self.resolve(name, ref)
        check_pinned(row)
        return row

    def _approvals(self, conn: Connection, name: str, version: int, alias: str | None = None) -> list[dict[str, Any]]:
        q = select(approval_table).where(approval_table.c.model == name, approval_table.c.version == version)
        if alias:
            q = q.where(approval_table.c.alias == alias)
        return [dict(r) for r in conn.execute(q.order_by(approval_table.c.id)).mappings()]

    def find_by_bundle(self, name: str, bundle_sha: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(version_table).where(
                version_table.c.model == name, version_table.c.bundle_sha == bundle_sha)).mappings().first()
        return dict(row) if row else None

    def get(self, name: str, version: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return self._get(conn, name, version)

    def versions(self, name: str) -> list[int]:
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(version_table.c.version).where(
                version_table.c.model == name).order_by(version_table.c.version))]

    def models(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(model_table).order_by(model_table.c.name)).mappings()]

    def list_versions(self, name: str | None = None) -> list[dict[str, Any]]:
        q = select(version_table).order_by(version_table.c.model, version_table.c.version)
        if name:
            q = q.where(version_table.c.model == name)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def aliases(self, name: str) -> dict[str, int]:
        with self.engine.connect() as conn:
            return self._aliases(conn, name)

    def resolve(self, name: str, ref: str | int) -> dict[str, Any]:
        """A version by number (`3` or `v3`) or alias name."""
        with self.engine.connect() as conn:
            return self._resolve(conn, name, ref)

    def approvals(self, name: str, version: int, alias: str | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return self._approvals(conn, name, version, alias)

    def tags(self, name: str, version: int) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {r.key: r.value for r in conn.execute(select(tag_table).where(
                tag_table.c.model == name, tag_table.c.version == version))}

    def history(self, name: str | None = None, alias: str | None = None) -> list[dict[str, Any]]:
        """Every alias move in order (the change log of what served when)."""
        q = select(alias_history_table).order_by(alias_history_table.c.id)
        if name:
            q = q.where(alias_history_table.c.model == name)
        if alias:
            q = q.where(alias_history_table.c.alias == alias)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def verify(self) -> list[str]:
        """Problems found: a broken audit chain, an alias history that does not replay to the
        current aliases, a registered bundle whose files changed. Empty when all is intact."""
        from mlbp.registry.integrity import verify_registry

        return verify_registry(self)
