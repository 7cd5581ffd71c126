"""Catalog stages: register the ingested dataset, and record which runs and models read it.

They run every time (not cached): their effect is in the shared database, and lineage is per
run. The profile is computed only when a snapshot is new to the catalog, so a repeated run
costs one lookup.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mlbp.contracts.spec import classifications
from mlbp.data.catalog import Catalog
from mlbp.engine.stage import Stage, StageContext
from mlbp.governance.audit import AuditLog
from mlbp.governance.policy import Policy, column_classes
from mlbp.io import read_frame, read_json


class CatalogDataset(Stage):
    """Registers `raw`'s lake snapshot (schema, profile, classes, fingerprint, owner) and this run
    as a reader; audits the run's team reading it."""

    needs: ClassVar[tuple[str, ...]] = ("raw",)
    makes: ClassVar[tuple[str, ...]] = ()
    cacheable: ClassVar[bool] = False

    def __init__(self, db: str, owner: str | None = None, team: str | None = None,
                 governance: dict[str, Any] | None = None, contract: dict[str, Any] | None = None) -> None:
        self.db = db
        self.owner = owner
        self.team = team
        self.governance = governance or {}
        self.contract = contract or {}

    def run(self, ctx: StageContext) -> None:
        info = read_json(ctx.input("raw"), "meta.json")
        name = info["dataset"]
        catalog = Catalog(self.db)
        classes = column_classes(self.governance, classifications(self.contract))
        df = None if catalog.has_snapshot(name, info["snapshot"]) else read_frame(ctx.input("raw"))
        new = catalog.register(name, info, df, self.owner or self.team or "unknown", classes, self.contract)
        run_id = ctx.manifest.get("run_id", "")
        catalog.add_lineage(name, info["snapshot"], "run", run_id, self.team)
        policy = Policy(teams=dict(self.governance.get("teams") or {}), classifications=classes)
        columns = list(catalog.show(name, info["snapshot"])["snapshot"]["schema"])
        AuditLog(self.db).append("data_access", self.team or "unknown", name,
                                 {"snapshot": info["snapshot"], "purpose": "pipeline run", "run_id": run_id,
                                  "columns": policy.decisions(self.team or "", columns) if policy.enabled
                                  else dict.fromkeys(columns, "allow")},
                                 reason=f"run {run_id}")
        ctx.note(dataset=name, snapshot=info["snapshot"], new=new)


class CatalogLineage(Stage):
    """Records the registered model version as a reader of the dataset snapshot it was trained on."""

    needs: ClassVar[tuple[str, ...]] = ("raw", "registration")
    makes: ClassVar[tuple[str, ...]] = ()
    cacheable: ClassVar[bool] = False

    def __init__(self, db: str) -> None:
        self.db = db

    def run(self, ctx: StageContext) -> None:
        info = read_json(ctx.input("raw"), "meta.json")
        reg = read_json(ctx.input("registration"), "registration.json")
        ref = f"{reg['model']}:{reg['version']}"
        Catalog(self.db).add_lineage(info["dataset"], info["snapshot"], "model", ref)
        ctx.note(model=ref)
