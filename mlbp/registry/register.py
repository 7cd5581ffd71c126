"""The register stage: put the bundle in the registry as the next version (idempotent), with its
lineage, as an audited `register` event; then apply the first-champion rule.

`first_champion` decides what happens when the model has no champion yet:
  auto    the first blessed version becomes champion (an audited `auto_promote`, no approvals)
  policy  it becomes champion only if the champion policy is already satisfied
  off     nothing; promote with `mlbp registry promote`
"""

from __future__ import annotations

from typing import Any, ClassVar

from mlbp.engine.errors import MlbpError, Reason
from mlbp.engine.stage import Stage, StageContext
from mlbp.io import read_json, write_json
from mlbp.registry import lineage
from mlbp.registry.store import registry_of

FIRST_CHAMPION = ("auto", "policy", "off")


class Register(Stage):
    """Registers `bundle` under `name`; makes `registration`. Runs every time (it is idempotent),
    so a deleted registry is rebuilt rather than silently skipped by the cache."""

    needs: ClassVar[tuple[str, ...]] = ("bundle",)
    makes: ClassVar[tuple[str, ...]] = ("registration",)
    cacheable: ClassVar[bool] = False
    build_later: ClassVar[tuple[str, ...]] = ("sinks",)

    def __init__(self, name: str, db: str, root: str, champion_if_none: bool = True,
                 first_champion: str | bool | None = None, policy: dict[str, Any] | None = None,
                 roles: dict[str, Any] | None = None, sinks: list[dict[str, Any]] | None = None,
                 actor: str | None = None) -> None:
        self.name = name
        self.db = db
        self.root = root
        self.champion_if_none = champion_if_none
        if isinstance(first_champion, bool):  # YAML reads an unquoted `off` as false
            first_champion = "auto" if first_champion else "off"
        self.first_champion = first_champion or ("auto" if champion_if_none else "off")
        if self.first_champion not in FIRST_CHAMPION:
            raise MlbpError("unknown first-champion rule", key="registry.first_champion",
                            expected=" | ".join(FIRST_CHAMPION), got=self.first_champion)
        self.policy = policy or {}
        self.roles = roles or {}
        self.sinks = sinks or []
        self.actor = actor

    def run(self, ctx: StageContext) -> None:
        bundle = ctx.input("bundle")
        manifest = read_json(bundle, "manifest.json")
        reg = registry_of({"db": self.db, "root": self.root, "policy": self.policy, "roles": self.roles,
                           "notify": {"sinks": self.sinks}})
        sha = bundle.name  # artifact folders are named by their content hash
        author = self.actor or ctx.manifest.get("user", "") or "unknown"
        info = {"stack": manifest.get("stack"), "metrics": manifest.get("metrics"),
                "scorecard": manifest.get("scorecard"), "threshold": manifest.get("threshold"),
                "lineage": lineage.from_run(ctx.manifest, ctx.run_dir, manifest)}
        v = reg.register(self.name, bundle, sha, author=author, run_id=ctx.manifest.get("run_id", ""), info=info,
                         reason="registered by the pipeline")
        blessed = bool((manifest.get("scorecard") or {}).get("blessed"))
        promoted = False
        if self.first_champion != "off" and blessed and "champion" not in reg.aliases(self.name):
            if self.first_champion == "auto":
                reg.set_alias(self.name, "champion", v["version"], actor=author, action="auto_promote",
                              reason="first blessed version and no champion yet (registry.first_champion=auto)")
                promoted = True
            else:
                try:
                    reg.promote(self.name, v["version"], "champion", author,
                                reason="first blessed version (registry.first_champion=policy)")
                    promoted = True
                except MlbpError as exc:
                    if exc.reason != Reason.POLICY:
                        raise
                    ctx.log.info("first champion not promoted: %s", exc.message)
        write_json({"model": self.name, "version": v["version"], "path": v["path"], "bundle_sha": v["bundle_sha"]},
                   ctx.output("registration"), "registration.json")
        ctx.note(model=self.name, version=v["version"], new=v["created_now"], champion=promoted)
