"""The registry's tables (SQLAlchemy Core): SQLite by default, any SQLAlchemy URL when shared."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Engine

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



def engine_for(url: str) -> Engine:
    return shared_engine(url, metadata)
