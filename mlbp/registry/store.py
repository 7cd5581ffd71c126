"""Register bundles as numbered versions and move aliases, in transactions.

A bundle is copied into `<root>/<model>/v<N>/` and verified there, so the registry never points
at a folder the artifact store might clean up. Registering the same bundle twice returns the
existing version: a re-run never creates a duplicate.
"""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from mlbp.engine.errors import MlbpError, Reason
from mlbp.registry.bundle import verify
from mlbp.registry.db import alias_table, engine_for, model_table, version_table


class Registry:
    def __init__(self, url: str, root: str | Path) -> None:
        self.url = url
        self.root = Path(root)
        self.engine = engine_for(url)

    def register(self, name: str, bundle: str | Path, bundle_sha: str, author: str = "", run_id: str = "",
                 info: dict[str, Any] | None = None) -> dict[str, Any]:
        verify(bundle)
        existing = self.find_by_bundle(name, bundle_sha)
        if existing:
            return existing | {"created_now": False}
        for _attempt in range(20):
            try:
                with self.engine.begin() as conn:
                    if conn.execute(select(model_table.c.name).where(model_table.c.name == name)).first() is None:
                        conn.execute(insert(model_table).values(name=name, created=time.time()))
                    n = (conn.execute(select(func.max(version_table.c.version)).where(version_table.c.model == name))
                         .scalar() or 0) + 1
                    target = self.root / name / f"v{n}"
                    conn.execute(insert(version_table).values(
                        model=name, version=n, bundle_sha=bundle_sha, path=str(target), created=time.time(),
                        author=author, run_id=run_id, status="registered", info=info or {}))
                    self._copy(Path(bundle), target)
                return self.get(name, n) | {"created_now": True}
            except IntegrityError:
                existing = self.find_by_bundle(name, bundle_sha)
                if existing:
                    return existing | {"created_now": False}
                time.sleep(0.01)
        raise MlbpError(f"could not register a version of '{name}' after 20 attempts", reason=Reason.REGISTRY)

    def _copy(self, src: Path, target: Path) -> None:
        if target.exists():
            shutil.rmtree(target)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        shutil.copytree(src, tmp)
        tmp.rename(target)

    def find_by_bundle(self, name: str, bundle_sha: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(version_table).where(
                version_table.c.model == name, version_table.c.bundle_sha == bundle_sha)).mappings().first()
        return dict(row) if row else None

    def get(self, name: str, version: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(version_table).where(
                version_table.c.model == name, version_table.c.version == version)).mappings().first()
        if row is None:
            raise MlbpError(f"model '{name}' has no version {version}", reason=Reason.REGISTRY, key="version",
                            expected=f"one of {self.versions(name)}", got=version)
        return dict(row)

    def versions(self, name: str) -> list[int]:
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(version_table.c.version).where(
                version_table.c.model == name).order_by(version_table.c.version))]

    def list_versions(self, name: str | None = None) -> list[dict[str, Any]]:
        q = select(version_table).order_by(version_table.c.model, version_table.c.version)
        if name:
            q = q.where(version_table.c.model == name)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def aliases(self, name: str) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {r.alias: r.version for r in conn.execute(select(alias_table).where(alias_table.c.model == name))}

    def resolve(self, name: str, ref: str | int) -> dict[str, Any]:
        """A version by number or alias name."""
        if isinstance(ref, int) or str(ref).isdigit():
            return self.get(name, int(ref))
        aliases = self.aliases(name)
        if str(ref) not in aliases:
            raise MlbpError(f"model '{name}' has no alias '{ref}'", reason=Reason.REGISTRY, key="alias",
                            expected=sorted(aliases) or "an alias set with `mlbp registry promote`", got=ref)
        return self.get(name, aliases[str(ref)])

    def set_alias(self, name: str, alias: str, version: int) -> int | None:
        """Point alias at version; returns the version it pointed at before (None if new)."""
        self.get(name, version)
        with self.engine.begin() as conn:
            row = conn.execute(select(alias_table.c.version).where(
                alias_table.c.model == name, alias_table.c.alias == alias)).first()
            if row is None:
                conn.execute(insert(alias_table).values(model=name, alias=alias, version=version, updated=time.time()))
                return None
            conn.execute(update(alias_table).where(alias_table.c.model == name, alias_table.c.alias == alias)
                         .values(version=version, updated=time.time()))
            return int(row[0])
