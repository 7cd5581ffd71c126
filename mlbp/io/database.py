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


def _create_tables(eng: Engine, metadata: MetaData, attempts: int = 5) -> None:
    """create_all checks for each table, then creates it: two processes starting on a fresh
    database (the jobs of a parallel sweep) can both see it missing, and the slower one fails
    with "already exists". The tables are there by then, so checking again is the fix."""
    from sqlalchemy.exc import DBAPIError

    for attempt in range(attempts):
        try:
            metadata.create_all(eng)
            return
        except DBAPIError as exc:
            text = str(exc).lower()
            if attempt == attempts - 1 or not ("already exists" in text or "duplicate" in text):
                raise
