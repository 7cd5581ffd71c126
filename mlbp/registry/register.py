"""The register stage: put the bundle in the registry as the next version (idempotent)."""

from __future__ import annotations

from typing import ClassVar

from mlbp.engine.stage import Stage, StageContext
from mlbp.io import read_json, write_json
from mlbp.registry.store import Registry


class Register(Stage):
    """Registers `bundle` under `name`; makes `registration`. Runs every time (it is idempotent),
    so a deleted registry is rebuilt rather than silently skipped by the cache."""

    needs: ClassVar[tuple[str, ...]] = ("bundle",)
    makes: ClassVar[tuple[str, ...]] = ("registration",)
    cacheable: ClassVar[bool] = False

    def __init__(self, name: str, db: str, root: str, champion_if_none: bool = True) -> None:
        self.name = name
        self.db = db
        self.root = root
        self.champion_if_none = champion_if_none

    def run(self, ctx: StageContext) -> None:
        bundle = ctx.input("bundle")
        manifest = read_json(bundle, "manifest.json")
        reg = Registry(self.db, self.root)
        sha = bundle.name  # artifact folders are named by their content hash
        v = reg.register(self.name, bundle, sha, author=ctx.manifest.get("user", ""),
                         run_id=ctx.manifest.get("run_id", ""),
                         info={"stack": manifest.get("stack"), "metrics": manifest.get("metrics"),
                               "scorecard": manifest.get("scorecard")})
        blessed = bool((manifest.get("scorecard") or {}).get("blessed"))
        promoted = False
        if self.champion_if_none and blessed and "champion" not in reg.aliases(self.name):
            reg.set_alias(self.name, "champion", v["version"])
            promoted = True
        write_json({"model": self.name, "version": v["version"], "path": v["path"], "bundle_sha": v["bundle_sha"]},
                   ctx.output("registration"), "registration.json")
        ctx.note(model=self.name, version=v["version"], new=v["created_now"], champion=promoted)
