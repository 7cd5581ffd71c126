"""An append-only, hash-chained audit trail in the shared database.

Every event (register, approve, promote, rollback, archive, data access) is one row: actor,
time, kind, subject, reason, before/after. Each row stores the sha256 of its own content plus
the hash of the row before it, so editing or deleting any row breaks the chain and `verify`
names the first broken row. Appends are serialized per database so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from sqlalchemy import JSON, Column, Float, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.exc import IntegrityError

from mlbp.engine.errors import MlbpError, Reason
from mlbp.io.database import engine_for

metadata = MetaData()

audit_table = Table(
    "audit_log", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("time", Float, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("reason", Text),
    Column("details", JSON),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

GENESIS = "0" * 64


def _digest(row: dict[str, Any]) -> str:
    body = {k: row[k] for k in ("seq", "time", "actor", "kind", "subject", "reason", "details", "prev_hash")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class AuditLog:
    """Append and read audit records; `seq` is the primary key, so two writers racing for the
    same position cannot both win: the loser re-reads the tail and retries."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url, metadata)

    def append(self, kind: str, actor: str, subject: str, details: dict[str, Any] | None = None,
               reason: str = "", conn: Any = None) -> dict[str, Any]:
        """Append one record. Pass `conn` to write inside the caller's transaction (so the event
        and the change it records commit together)."""
        if conn is not None:
            return self._append(conn, kind, actor, subject, details, reason)
        for _ in range(200):
            try:
                with self.engine.begin() as c:
                    return self._append(c, kind, actor, subject, details, reason)
            except IntegrityError:
                time.sleep(0.005)
        raise MlbpError("could not append to the audit log after 200 attempts", reason=Reason.REGISTRY)

    def _append(self, conn: Any, kind: str, actor: str, subject: str, details: dict[str, Any] | None,
                reason: str) -> dict[str, Any]:
        last = conn.execute(select(audit_table.c.seq, audit_table.c.hash)
                            .order_by(audit_table.c.seq.desc()).limit(1)).first()
        row = {"seq": (last[0] + 1) if last else 1, "time": time.time(), "actor": actor or "unknown",
               "kind": kind, "subject": subject, "reason": reason or "",
               "details": json.loads(json.dumps(details or {}, default=str)),
               "prev_hash": last[1] if last else GENESIS}
        row["hash"] = _digest(row)
        conn.execute(insert(audit_table).values(**row))
        return row

    def records(self, kind: str | None = None, subject: str | None = None, limit: int | None = None
                ) -> list[dict[str, Any]]:
        q = select(audit_table).order_by(audit_table.c.seq)
        if kind:
            q = q.where(audit_table.c.kind == kind)
        if subject:
            q = q.where(audit_table.c.subject == subject)
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def verify(self) -> list[str]:
        """Problems in the chain (empty when intact): a changed row, a removed row, a broken link."""
        problems = []
        prev, expected_seq = GENESIS, 1
        for row in self.records():
            if row["seq"] != expected_seq:
                problems.append(f"record {expected_seq} is missing (next is {row['seq']})")
            if row["prev_hash"] != prev:
                problems.append(f"record {row['seq']}: prev_hash does not match record {row['seq'] - 1}")
            if _digest(row) != row["hash"]:
                problems.append(f"record {row['seq']}: content does not match its hash (edited)")
            prev, expected_seq = row["hash"], row["seq"] + 1
        return problems
