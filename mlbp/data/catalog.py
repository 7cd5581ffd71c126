"""The data catalog: every ingested dataset, its snapshots, profiles and lineage, in the shared DB.

Tables (same database as the registry and the audit log, `paths.db`):

- `catalog_datasets`: one row per dataset name: source, owner team, created, newest snapshot.
- `catalog_snapshots`: one row per (dataset, snapshot): fingerprint, rows, lake path, schema,
  per-column profile, column classifications, created.
- `catalog_lineage`: who read which snapshot: runs (by run id) and models (name:version).

Reading data goes through `Catalog.read`, which names the team, applies the governance policy
before the frame leaves the catalog, and appends a `data_access` record to the audit log.
Profiles never hold values of classified (non-public) columns: only counts and null shares.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, Float, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from mlbp.data.profile import profile_frame
from mlbp.engine.errors import MlbpError, Reason
from mlbp.governance.audit import AuditLog
from mlbp.governance.policy import DEFAULT_CLASS, Policy
from mlbp.io.database import engine_for

if TYPE_CHECKING:
    import pandas as pd

metadata = MetaData()

datasets_table = Table(
    "catalog_datasets", metadata,
    Column("name", String(200), primary_key=True),
    Column("source", JSON),
    Column("owner", String(200)),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
    Column("latest_snapshot", String(64)),
)
snapshots_table = Table(
    "catalog_snapshots", metadata,
    Column("name", String(200), primary_key=True),
    Column("snapshot", String(64), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("path", String(1000), nullable=False),
    Column("partition_key", String(100)),
    Column("schema", JSON),
    Column("profile", JSON),
    Column("classifications", JSON),
    Column("created", Float, nullable=False),
)
lineage_table = Table(
    "catalog_lineage", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, index=True),
    Column("snapshot", String(64), nullable=False),
    Column("kind", String(20), nullable=False),  # run | model
    Column("ref", String(300), nullable=False),
    Column("team", String(200)),
    Column("time", Float, nullable=False),
)

VALUE_KEYS = ("kind", "dtype", "count", "null_share", "distinct")


def redact_profile(profile: dict[str, Any], classes: dict[str, str]) -> dict[str, Any]:
    """Keep only counts for classified columns: a profile must never leak pii values."""
    cols = {}
    for name, p in profile["columns"].items():
        if classes.get(name, DEFAULT_CLASS) != DEFAULT_CLASS:
            p = {k: p[k] for k in VALUE_KEYS if k in p}
            if p.get("kind") == "categorical" and "distinct" not in p:
                p["distinct"] = None
            p["redacted"] = True
        cols[name] = p
    return {"rows": profile["rows"], "columns": cols}


def schema_of(df: pd.DataFrame, contract: dict[str, Any] | None = None) -> dict[str, Any]:
    contract = contract or {}
    return {c: {"dtype": str(t), **({"contract": dict(contract[c])} if c in contract else {})}
            for c, t in df.dtypes.items()}


class Catalog:
    """The catalog over one database URL. Writers race safely: the dataset row is an upsert and a
    snapshot's primary key makes a second registration of the same content a no-op."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url, metadata)

    # -- writing -------------------------------------------------------------------------------
    def has_snapshot(self, name: str, snapshot: str) -> bool:
        with self.engine.connect() as c:
            return c.execute(select(snapshots_table.c.snapshot).where(
                snapshots_table.c.name == name, snapshots_table.c.snapshot == snapshot)).first() is not None

    def register(self, name: str, info: dict[str, Any], df: pd.DataFrame | None, owner: str,
                 classes: dict[str, str], contract: dict[str, Any] | None = None) -> bool:
        """Register the snapshot described by `info` (from the lake); True if it was new."""
        now = time.time()
        new = not self.has_snapshot(name, info["snapshot"])
        with self.engine.begin() as c:
            if new:
                if df is None:
                    raise MlbpError(f"dataset '{name}' snapshot {info['snapshot']} needs its rows to be profiled",
                                    reason=Reason.SOURCE, key="catalog")
                row = {"name": name, "snapshot": info["snapshot"], "fingerprint": info["sha256"],
                       "rows": int(info["rows"]), "path": info["path"], "partition_key": info.get("partition_key"),
                       "schema": schema_of(df, contract), "classifications": classes,
                       "profile": redact_profile(profile_frame(df), classes), "created": now}
                try:
                    with c.begin_nested():
                        c.execute(insert(snapshots_table).values(**row))
                except IntegrityError:
                    new = False  # registered concurrently by another run: same content
            exists = c.execute(select(datasets_table.c.name).where(datasets_table.c.name == name)).first()
            values = {"source": info.get("source"), "owner": owner, "updated": now,
                      "latest_snapshot": info["snapshot"]}
            if not exists:
                try:
                    with c.begin_nested():
                        c.execute(insert(datasets_table).values(name=name, created=now, **values))
                except IntegrityError:
                    exists = True  # inserted concurrently by a sibling sweep job: update it instead
            if exists:
                c.execute(update(datasets_table).where(datasets_table.c.name == name).values(**values))
        return new

    def add_lineage(self, name: str, snapshot: str, kind: str, ref: str, team: str | None = None) -> None:
        with self.engine.begin() as c:
            seen = c.execute(select(lineage_table.c.id).where(
                lineage_table.c.name == name, lineage_table.c.snapshot == snapshot,
                lineage_table.c.kind == kind, lineage_table.c.ref == ref)).first()
            if not seen:
                c.execute(insert(lineage_table).values(name=name, snapshot=snapshot, kind=kind, ref=ref, team=team,
                                                       time=time.time()))

    # -- reading metadata ------------------------------------------------------------------------
    def list(self) -> list[dict[str, Any]]:
        q = (select(datasets_table.c.name, datasets_table.c.owner, datasets_table.c.source,
                    datasets_table.c.latest_snapshot, datasets_table.c.updated, snapshots_table.c.rows,
                    snapshots_table.c.fingerprint)
             .join(snapshots_table, (snapshots_table.c.name == datasets_table.c.name)
                   & (snapshots_table.c.snapshot == datasets_table.c.latest_snapshot))
             .order_by(datasets_table.c.name))
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(q).mappings()]

    def show(self, name: str, snapshot: str | None = None) -> dict[str, Any]:
        with self.engine.connect() as c:
            ds = c.execute(select(datasets_table).where(datasets_table.c.name == name)).mappings().first()
            if ds is None:
                names = [r[0] for r in c.execute(select(datasets_table.c.name))]
                raise MlbpError(f"no dataset '{name}' in the catalog", reason=Reason.INPUT, key="name",
                                expected=names, got=name, fix="see `mlbp catalog list`")
            snap = snapshot or ds["latest_snapshot"]
            s = c.execute(select(snapshots_table).where(snapshots_table.c.name == name,
                                                        snapshots_table.c.snapshot == snap)).mappings().first()
            if s is None:
                raise MlbpError(f"dataset '{name}' has no snapshot '{snap}'", reason=Reason.INPUT, key="snapshot")
            snaps = [dict(r) for r in c.execute(
                select(snapshots_table.c.snapshot, snapshots_table.c.rows, snapshots_table.c.created)
                .where(snapshots_table.c.name == name).order_by(snapshots_table.c.created.desc())).mappings()]
            lineage = [dict(r) for r in c.execute(
                select(lineage_table.c.snapshot, lineage_table.c.kind, lineage_table.c.ref, lineage_table.c.team,
                       lineage_table.c.time).where(lineage_table.c.name == name)
                .order_by(lineage_table.c.time)).mappings()]
        return dict(ds) | {"snapshot": dict(s), "snapshots": snaps, "lineage": lineage}

    # -- reading data ------------------------------------------------------------------------------
    def read(self, name: str, team: str, policy: Policy, purpose: str, columns: list[str] | None = None,
             snapshot: str | None = None, audit: AuditLog | None = None) -> pd.DataFrame:
        """The dataset as `team` may see it. The read is audited even when it is refused."""
        import pandas as pd

        entry = self.show(name, snapshot)
        snap = entry["snapshot"]
        log = audit or AuditLog(self.url)
        available = [c for c in snap["schema"] if c != snap.get("partition_key")]
        wanted = list(columns or available)
        unknown = [c for c in wanted if c not in available]
        if unknown:
            raise MlbpError(f"dataset '{name}' has no columns {unknown}", reason=Reason.INPUT, key="columns",
                            expected=available, got=unknown)
        if snap["classifications"]:  # the dataset's own declarations travel with it
            policy = replace(policy, classifications=dict(snap["classifications"]) | policy.classifications)
        try:
            rules = policy.decisions(team, wanted)
        except MlbpError as exc:
            log.append("data_access", team or "unknown", name,
                       {"snapshot": snap["snapshot"], "columns": wanted, "purpose": purpose, "refused": str(exc)},
                       reason=purpose)
            raise
        path = Path(snap["path"])
        if not path.exists():
            raise MlbpError(f"the lake has lost snapshot {snap['snapshot']} of '{name}'", reason=Reason.SOURCE,
                            key="paths.lake", expected=str(path), got="missing", fix="ingest the source again")
        readable = [c for c in wanted if rules[c] != "deny"]
        df = pd.read_parquet(path, columns=readable)
        df, _ = policy.apply(df, team)
        log.append("data_access", team, name,
                   {"snapshot": snap["snapshot"], "purpose": purpose, "columns": {c: rules[c] for c in wanted},
                    "rows": len(df)}, reason=purpose)
        return df
