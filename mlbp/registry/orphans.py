"""Folders under the registry root that no version owns, and removing them (`mlbp registry gc`).

A register killed after its bundle copy was renamed into place, but before its transaction
committed, leaves `<root>/<model>/v<N>/` with no version row; one killed mid-copy leaves a
`.v<N>.<id>` temp folder. Neither is ever read, but they fill the disk and `registry verify`
should say so. A folder counts as a version's when its model has a version N row — whatever path
that row names — so a registry whose root was moved or copied does not look orphaned.

Removal runs inside the registry's write transaction: a register in progress holds the same lock
and copies inside it, so nothing being written right now can be mistaken for an orphan.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.engine import Connection

from mlbp.registry.db import version_table, write_transaction

if TYPE_CHECKING:
    from mlbp.registry.store import Registry

VERSION_FOLDER = re.compile(r"^v(\d+)$")


def find_orphans(reg: Registry, conn: Connection | None = None) -> list[Path]:
    """Every folder under the root that no version row owns (temp copies included)."""
    root = Path(reg.root)
    if not root.is_dir():
        return []
    q = select(version_table.c.model, version_table.c.version)
    if conn is None:
        with reg.engine.connect() as c:
            rows = c.execute(q).all()
    else:
        rows = conn.execute(q).all()
    owned = {(r.model, int(r.version)) for r in rows}
    models = {m for m, _ in owned}
    found = []
    for model_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        name = _model_name(model_dir, models)
        for child in sorted(model_dir.iterdir()):
            m = VERSION_FOLDER.match(child.name)
            if not (m and name is not None and (name, int(m.group(1))) in owned):
                found.append(child)
    return found


def _model_name(folder: Path, models: set[str]) -> str | None:
    """The model a folder under the root belongs to (registry folders are named by the model)."""
    return folder.name if folder.name in models else None


def collect(reg: Registry, actor: str) -> list[str]:
    """Remove the orphans (audited as `gc`); returns what was removed, relative to the root."""
    def work(conn: Connection) -> list[str]:
        orphans = find_orphans(reg, conn)
        removed = [p.relative_to(reg.root).as_posix() for p in orphans]
        for p in orphans:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        if removed:
            reg.audit.append("gc", actor, "registry", {"removed": removed, "before": removed, "after": None},
                             "orphaned folders removed", conn=conn)
        return removed

    return write_transaction(reg.engine, work)
