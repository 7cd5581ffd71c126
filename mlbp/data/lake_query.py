"""SQL over the lake with DuckDB, out of core, through the governance policy.

Each dataset in the lake is a view named after it over its newest snapshot (hive partitions
become columns, so `WHERE month = '2026-03'` reads one folder). A column the team may not see
raw is masked inside the view with the same keyed HMAC the pipeline uses (so masked keys still
join with masked pipeline outputs) or left out when denied. DuckDB streams Parquet and spills
to `temp_directory` beyond `memory_limit`, so a lake larger than memory can be queried.
Every query is appended to the audit log as a `data_access` record.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from mlbp.data.lake import snapshots
from mlbp.engine.errors import MlbpError, Reason
from mlbp.governance.policy import Policy, mask_value

SAFE_NAME = re.compile(r"[^0-9A-Za-z_]")


def view_name(dataset: str) -> str:
    return SAFE_NAME.sub("_", dataset)


def newest_snapshots(lake: str | Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for info in snapshots(lake):  # newest first
        out.setdefault(info["dataset"], info)
    return out


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def connect(lake: str | Path, policy: Policy, team: str, memory_limit: str = "1GB",
            temp_directory: str | Path | None = None, classes: dict[str, dict[str, str]] | None = None
            ) -> tuple[Any, dict[str, dict[str, str]]]:
    """A DuckDB connection with one governed view per dataset; returns it and the rules per view.

    `classes` adds per-dataset column classes (from the catalog, where each dataset's own contract
    declared them) to the policy's, so a dataset ingested under another project's contract keeps
    its pii protected."""
    import duckdb

    try:
        from duckdb.sqltypes import VARCHAR
    except ImportError:  # duckdb < 2
        from duckdb.typing import VARCHAR

    con = duckdb.connect()
    temp = Path(temp_directory or Path(lake) / ".duckdb_tmp")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{temp}'")
    if policy.enabled:
        key = policy.key
        con.create_function("mlbp_mask", lambda v: mask_value(v, key), [VARCHAR], VARCHAR)
    rules: dict[str, dict[str, str]] = {}
    for dataset, info in sorted(newest_snapshots(lake).items()):
        files = f"{Path(info['path']).as_posix()}/**/*.parquet"
        source = f"read_parquet('{files}', hive_partitioning = true)"
        cols = [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        extra = (classes or {}).get(dataset) or {}
        governed = replace(policy, classifications=extra | policy.classifications) if extra else policy
        decided = governed.decisions(team, cols)
        select = []
        for c in cols:
            if decided[c] == "allow":
                select.append(_quote(c))
            elif decided[c] == "mask":
                select.append(f"mlbp_mask(CAST({_quote(c)} AS VARCHAR)) AS {_quote(c)}")
        name = view_name(dataset)
        con.execute(f"CREATE VIEW {_quote(name)} AS SELECT {', '.join(select)} FROM {source}")
        rules[name] = {c: r for c, r in decided.items() if r != "allow"}
    sandbox(con, lake, temp)
    return con, rules


# Table functions that compute rows and read nothing: allowed in FROM beside the views.
PURE_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_sql(con: Any, sql: str, views: set[str]) -> None:
    """Only one SELECT that reads the governed views and nothing else, decided on DuckDB's own
    parse tree: no table functions that read (read_parquet, read_csv, glob, ...), no schema- or
    catalog-qualified names (information_schema, an ATTACHed file), and every table name either a
    view or a CTE *in scope where it is used*. A CTE defined inside a subquery does not cover a
    reference outside it, where DuckDB would resolve the same text as a file; and only a plain
    identifier counts as a CTE reference, since only such a name can never be a file. The
    connection itself reads no file outside the lake (see `sandbox`); this check keeps a query
    from reading the lake's raw files around the views."""
    ast = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])
    if ast.get("error"):
        raise MlbpError(f"only a single SELECT query is allowed: {ast.get('error_message')}", reason=Reason.POLICY,
                        key="sql", got=sql[:200], fix="query the views with SELECT ...")
    if len(ast.get("statements", [])) != 1:
        raise MlbpError("exactly one SELECT statement per query", reason=Reason.INPUT, key="sql", got=sql[:200])
    known = {v.lower() for v in views}
    bad: list[str] = []
    for kind, ref, cte in _reads(ast["statements"], frozenset()):
        if kind == "function":
            if ref.lower() not in PURE_TABLE_FUNCTIONS:
                bad.append(f"{ref}()")
        elif not (ref.lower() in known and "." not in ref or (cte and PLAIN.fullmatch(ref))):
            bad.append(ref)
    if bad:
        raise MlbpError(f"the query reads outside the governed views: {sorted(set(bad))}",
                        reason=Reason.POLICY, key="sql", expected=sorted(views), got=sorted(set(bad)),
                        fix="query the dataset views by name; the lake is only read through the policy")


def _reads(node: Any, scope: frozenset[str]) -> list[tuple[str, str, bool]]:
    """(kind, name, resolved to a CTE in scope) for every table reference and table function."""
    out: list[tuple[str, str, bool]] = []
    if isinstance(node, list):
        for v in node:
            out += _reads(v, scope)
        return out
    if not isinstance(node, dict):
        return out
    entries = (node.get("cte_map") or {}).get("map") or [] if isinstance(node.get("cte_map"), dict) else []
    if entries:
        names = [str(e.get("key")).lower() for e in entries]
        for i, e in enumerate(entries):  # a CTE sees the ones before it and itself (recursive), not later ones
            out += _reads(e.get("value"), scope | frozenset(names[: i + 1]))
        scope = scope | frozenset(names)
    if node.get("type") == "TABLE_FUNCTION":
        out.append(("function", str((node.get("function") or {}).get("function_name", "?")), False))
    elif node.get("type") == "BASE_TABLE":
        name = str(node.get("table_name"))
        qualified = ".".join(p for p in (node.get("catalog_name"), node.get("schema_name")) if p)
        if qualified:
            out.append(("table", f"{qualified}.{name}", False))
        else:
            out.append(("table", name, name.lower() in scope))
    for k, v in node.items():
        if k != "cte_map":
            out += _reads(v, scope)
    return out


def sandbox(con: Any, lake: str | Path, temp_directory: str | Path) -> None:
    """After the views exist: no file outside the lake and the temp folder, no Python objects as
    tables, no extension installs, and no query can change that (the configuration is locked)."""
    dirs = ", ".join(f"'{Path(d).resolve().as_posix()}/'" for d in (lake, temp_directory))
    con.execute(f"SET allowed_directories = [{dirs}]")
    for setting in ("enable_external_access", "python_enable_replacements", "autoinstall_known_extensions",
                    "autoload_known_extensions"):
        con.execute(f"SET {setting} = false")
    con.execute("SET lock_configuration = true")


def query(lake: str | Path, sql: str, policy: Policy, team: str, memory_limit: str = "1GB",
          classes: dict[str, dict[str, str]] | None = None) -> tuple[Any, dict]:
    """Run sql; returns (an Arrow table, the views and their governed columns)."""
    import duckdb

    if not Path(lake).exists() or not newest_snapshots(lake):
        raise MlbpError(f"the lake at {lake} holds no datasets yet", reason=Reason.INPUT, key="paths.lake",
                        fix="run the pipeline (or its ingest stage: mlbp only=[ingest]) first")
    con, rules = connect(lake, policy, team, memory_limit, classes=classes)
    try:
        check_sql(con, sql, set(rules))
        table = con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        raise MlbpError(f"the query failed: {str(exc).splitlines()[0]}", reason=Reason.INPUT, key="sql",
                        got=sql[:200], expected=f"SQL over the views {sorted(rules)}",
                        fix="check the SQL; each dataset is a view named after it") from exc
    except AttributeError:  # the query returned no relation (e.g. SET ...)
        table = None
    finally:
        con.close()
    return table, rules
