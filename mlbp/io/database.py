"""One SQLAlchemy engine per database URL per process, shared by catalog, registry and audit.

SQLite (the default) gets WAL mode and a long busy timeout so concurrent writers wait instead
of failing; any other URL (PostgreSQL for a shared team registry) is used as given.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine

_engines: dict[tuple[int, str], Engine] = {}  # keyed by pid: a forked child must not reuse a parent's pool
_lock = threading.Lock()


def engine_for(url: str, metadata: MetaData | None = None) -> Engine:
    """The shared engine for url; creates the tables in metadata if they do not exist yet."""
    key = (os.getpid(), url)
    with _lock:
        eng = _engines.get(key)
        if eng is None:
            if url.startswith("sqlite:///"):
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
                eng = create_engine(url, connect_args={"timeout": 60})

                @event.listens_for(eng, "connect")
                def _pragmas(conn, _record):  # noqa: ANN001 - SQLAlchemy callback
                    cur = conn.cursor()
                    cur.execute("PRAGMA journal_mode=WAL")
                    cur.execute("PRAGMA busy_timeout=60000")
                    cur.close()
            else:
                eng = create_engine(url, pool_pre_ping=True)
            _engines[key] = eng
    if metadata is not None:
        _create_tables(eng, metadata)
    return eng


def _create_tables(eng: Engine, metadata: MetaData) -> None:
    """create_all checks for each table, then creates it: processes opening a fresh database at
    the same moment (the jobs of a parallel sweep) both see a table missing and the slower one
    fails with "already exists". So creation is serialized: a file lock beside a SQLite file, a
    transaction-scoped advisory lock on PostgreSQL (the databases CI runs; others get create_all as is)."""
    if eng.dialect.name == "sqlite" and eng.url.database not in (None, "", ":memory:"):
        import fcntl

        with open(f"{eng.url.database}.create-lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                metadata.create_all(eng)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    if eng.dialect.name == "postgresql":
        from sqlalchemy import text

        with eng.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(7316201)"))  # any constant shared by mlbp processes
            metadata.create_all(conn)
        return
    metadata.create_all(eng)
