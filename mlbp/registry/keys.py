"""Personal keys: who acts on the registry is whoever holds the key used.

A free-text actor behind one shared key let one person approve as two and promote as a third.
Each person gets a key (`mlbp registry keys create <holder>`, printed once; only its sha256 is
stored); the dashboard and the CLI record the key's holder as the actor of every approval,
promotion and rollback, so a four-eyes rule counts distinct holders. Creating and revoking a key
are audited like any other change.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from mlbp.engine.errors import MlbpError, Reason
from mlbp.registry.db import key_table

if TYPE_CHECKING:
    from mlbp.registry.store import Registry

PREFIX = "mlbpk_"
HOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(reg: Registry, holder: str, actor: str) -> tuple[str, dict[str, Any]]:
    """A new key for `holder`: (the key, shown once; its listing row)."""
    if not HOLDER.match(holder or ""):
        raise MlbpError("a key holder is a name of letters, digits and . _ @ -", reason=Reason.INPUT, key="holder",
                        expected="e.g. alice or alice@example.com", got=holder)
    key = PREFIX + secrets.token_urlsafe(32)
    row = {"holder": holder, "key_sha256": digest(key), "prefix": key[: len(PREFIX) + 6], "created": time.time(),
           "created_by": actor}

    def work(conn: Connection, events: list) -> None:
        conn.execute(insert(key_table).values(**row))
        reg._event(conn, events, "key_create", actor, f"key:{holder}",
                   {"holder": holder, "prefix": row["prefix"], "before": None, "after": "active"})

    reg._change(work)
    return key, {k: v for k, v in row.items() if k != "key_sha256"}


def revoke_keys(reg: Registry, holder: str, actor: str, prefix: str | None = None) -> int:
    """Revoke `holder`'s active keys (only the one starting with `prefix` when given)."""
    def work(conn: Connection, events: list) -> int:
        q = select(key_table.c.id, key_table.c.prefix).where(key_table.c.holder == holder,
                                                             key_table.c.revoked.is_(None))
        rows = [r for r in conn.execute(q) if prefix is None or r.prefix.startswith(prefix)]
        if not rows:
            raise MlbpError(f"{holder} holds no active key" + (f" starting with {prefix}" if prefix else ""),
                            reason=Reason.REGISTRY, key="holder", fix="mlbp registry keys list")
        for r in rows:
            conn.execute(update(key_table).where(key_table.c.id == r.id).values(revoked=time.time(), revoked_by=actor))
            reg._event(conn, events, "key_revoke", actor, f"key:{holder}",
                       {"holder": holder, "prefix": r.prefix, "before": "active", "after": "revoked"})
        return len(rows)

    return int(reg._change(work))


def list_keys(reg: Registry) -> list[dict[str, Any]]:
    """Every key ever created, without its hash."""
    cols = [c for c in key_table.c if c.name != "key_sha256"]
    with reg.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(*cols).order_by(key_table.c.id)).mappings()]


def any_active(reg: Registry) -> bool:
    """Whether this registry hands out personal keys (then every change needs one)."""
    with reg.engine.connect() as conn:
        return conn.execute(select(key_table.c.id).where(key_table.c.revoked.is_(None)).limit(1)).first() is not None


def holder_of(reg: Registry, key: str) -> str | None:
    """The holder of an active key, else None (unknown and revoked keys alike)."""
    if not key:
        return None
    with reg.engine.connect() as conn:
        row = conn.execute(select(key_table.c.holder).where(key_table.c.key_sha256 == digest(key),
                                                            key_table.c.revoked.is_(None))).first()
    return str(row.holder) if row else None


def identify(reg: Registry, key: str = "", claimed: str = "", fallback: str = "") -> str:
    """Who is acting. With a key: its holder (an unknown or revoked key, or a claimed name that
    is not the holder's, is refused). Without: `claimed` or `fallback` (the login name), unless
    the registry hands out keys, in which case a key is required."""
    if key:
        holder = holder_of(reg, key)
        if holder is None:
            raise MlbpError("unknown or revoked key", reason=Reason.NOT_ALLOWED, key="registry.key",
                            fix="ask an admin for a key: mlbp registry keys create <you>")
        if claimed and claimed != holder:
            raise MlbpError(f"the key belongs to {holder}; it cannot act as {claimed}", reason=Reason.NOT_ALLOWED,
                            key="registry.actor", expected=holder, got=claimed)
        return holder
    if any_active(reg):
        raise MlbpError("this registry gives each person a key, and who acts is whoever holds it",
                        reason=Reason.NOT_ALLOWED, key="registry.key",
                        fix="set MLBP_KEY to your key (an admin creates it: mlbp registry keys create <you>)")
    return claimed or fallback
