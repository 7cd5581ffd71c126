"""The registry's tables (SQLAlchemy Core): SQLite by default, any SQLAlchemy URL when shared.

`write_transaction` is the one way the registry changes anything: it serializes writers for the
whole read-modify-write (SQLite `BEGIN IMMEDIATE`, a PostgreSQL transaction-scoped advisory lock),
so ten processes promoting at once never lose an update or fork the alias history.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from mlbp.engine.errors import MlbpError, Reason
from mlbp.io.database import engine_for as shared_engine

metadata = MetaData()

model_table = Table(
    "models", metadata,
    Column("name", String(200), primary_key=True),
    Column("created", Float, nullable=False),
    Column("description", Text),
)

version_table = Table(
    "model_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String(200), ForeignKey("models.name"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("bundle_sha", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("created", Float, nullable=False),
    Column("author", String(200)),
    Column("run_id", String(100)),
    Column("status", String(30), nullable=False, default="registered"),
    Column("info", JSON),
    UniqueConstraint("model", "version", name="uq_model_version"),
    UniqueConstraint("model", "bundle_sha", name="uq_model_bundle"),
)

alias_table = Table(
    "aliases", metadata,
    Column("model", String(200), ForeignKey("models.name"), primary_key=True),
    Column("alias", String(100), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated", Float, nullable=False),
)

# Every move of an alias, in order: what it pointed at before and after, who, why, how.
alias_history_table = Table(
    "alias_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String(200), nullable=False),
    Column("alias", String(100), nullable=False),
    Column("version", Integer, nullable=False),  # the holder after this move
    Column("previous", Integer),  # the holder before (None: the alias was new)
    Column("action", String(30), nullable=False),  # promote | rollback | auto_promote | auto_rollback
    Column("actor", String(200), nullable=False),
    Column("reason", Text),
    Column("time", Float, nullable=False),
    Index("ix_alias_history_model_alias", "model", "alias"),
)

approval_table = Table(
    "approvals", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("alias", String(100), nullable=False),  # an approval is for moving one alias
    Column("actor", String(200), nullable=False),
    Column("roles", JSON),  # the approver's roles when they approved
    Column("reason", Text),
    Column("time", Float, nullable=False),
    UniqueConstraint("model", "version", "alias", "actor", name="uq_approval"),
)

# Personal keys: the registry knows who acts by the key they hold. Only a key's sha256 is kept
# (keys are 256-bit random tokens, so a fast hash is enough) and its first characters, to tell
# keys apart in listings; a revoked key stays, marked, for the audit trail.
key_table = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("holder", String(200), nullable=False),
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created", Float, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("revoked", Float),
    Column("revoked_by", String(200)),
    Index("ix_api_keys_holder", "holder"),
)

tag_table = Table(
    "version_tags", metadata,
    Column("model", String(200), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", Text),
)


def engine_for(url: str) -> Engine:
    return shared_engine(url, metadata)


T = TypeVar("T")
_PG_LOCK = 7_240_531  # advisory lock key shared by every mlbp registry writer


def write_transaction(engine: Engine, work: Callable[[Connection], T], attempts: int = 50) -> T:
    """Run `work(conn)` in one serialized write transaction, retrying when a writer outside the
    registry (e.g. a data-access audit record) won a race; commits or rolls back as a whole."""
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            with engine.connect() as conn:
                _lock(conn)
                result = work(conn)
                conn.commit()
                return result
        except (IntegrityError, OperationalError) as exc:
            if isinstance(exc, IntegrityError) and not _retryable(exc):
                raise
            last = exc
            time.sleep(min(0.005 * (attempt + 1), 0.2))
    raise MlbpError(f"could not commit a registry change after {attempts} attempts: {last}",
                    reason=Reason.REGISTRY, fix="check that the database is reachable and not read-only")


def _lock(conn: Connection) -> None:
    dialect = conn.dialect.name
    if dialect == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock before the first read
    elif dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})


def _retryable(exc: IntegrityError) -> bool:
    """A lost race on the audit chain's sequence number is retried; other violations are real."""
    msg = str(exc.orig).lower()
    return "audit_log" in msg or "seq" in msg


def redact(url: str) -> str:
    """The URL without its password, for error messages (mlbp.engine.secrets, the one pass)."""
    from mlbp.engine.secrets import redact_text

    return redact_text(url)


def json_safe(value: Any) -> Any:
    """JSON-safe copy for a JSON column: numpy scalars and paths as plain values, NaN as null
    (PostgreSQL's JSON type rejects NaN)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float):
        return None if value != value or value in (float("inf"), float("-inf")) else value
    if value is None or isinstance(value, str | int | bool):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return json_safe(value.item())
    return str(value)
