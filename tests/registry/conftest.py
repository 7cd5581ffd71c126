"""Registry fixtures: a database URL for SQLite and (when MLBP_TEST_PG_URL is set) PostgreSQL,
and small real bundles (hashed folders made by `write_manifest`) so tests need no training."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import pytest

from mlbp.registry.bundle import write_manifest

PG_URL = os.environ.get("MLBP_TEST_PG_URL")

SIGNATURE = {"task": "binary", "numeric": ["amount"], "categorical": ["channel"],
             "inputs": {"amount": {"kind": "numeric", "dtype": "float", "nullable": False},
                        "channel": {"kind": "categorical", "dtype": "str", "categories": ["app", "web"],
                                    "nullable": False}}}


def _admin(base: str):
    from sqlalchemy import create_engine

    return create_engine(base, isolation_level="AUTOCOMMIT")


def fresh_pg_database(base: str) -> tuple[str, str]:
    from sqlalchemy import text

    name = "mlbp_t_" + uuid.uuid4().hex[:12]
    admin = _admin(base)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name, name


def drop_pg_database(base: str, url: str, name: str) -> None:
    from sqlalchemy import text

    from mlbp.io import database

    eng = database._engines.pop(url, None)
    if eng is not None:
        eng.dispose()
    admin = _admin(base)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database per test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    if not PG_URL:
        pytest.skip("MLBP_TEST_PG_URL is not set (CI starts PostgreSQL in .ci/services.sh)")
    url, name = fresh_pg_database(PG_URL)
    yield url
    drop_pg_database(PG_URL, url, name)


@pytest.fixture
def signature():
    return json.loads(json.dumps(SIGNATURE))


def make_bundle(folder: Path, seed: str, blessed: bool = True, signature: dict | None = None,
                metrics: dict | None = None, profile: dict | None = None) -> tuple[Path, str]:
    """A real bundle folder (files + manifest with their sha256); returns (folder, content sha)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.joblib").write_bytes(f"model {seed}".encode())
    (folder / "profile.json").write_text(json.dumps(profile or {"columns": {}}))
    manifest = {"name": "m", "stack": "logistic", "signature": signature or SIGNATURE,
                "metrics": metrics or {"roc_auc": 0.7}, "threshold": 0.5,
                "scorecard": {"blessed": blessed, "primary_metric": "roc_auc", "primary": 0.7,
                              "failed_rules": [] if blessed else ["roc_auc = 0.5 < min 0.65"]}}
    write_manifest(folder, manifest)
    return folder, hashlib.sha256(seed.encode()).hexdigest()


@pytest.fixture
def bundle_factory(tmp_path):
    def make(seed: str, **kw):
        return make_bundle(tmp_path / "bundles" / seed, seed, **kw)
    return make
