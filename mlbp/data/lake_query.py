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
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{Path(temp_directory or Path(lake) / '.duckdb_tmp')}'")
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
    return con, rules


def check_sql(con: Any, sql: str, views: set[str]) -> None:
    """Only one SELECT over the governed views: no table functions (read_parquet, read_csv, ...)
    and no file names as tables, which would bypass the policy by reading the lake directly."""
    ast = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])
    if ast.get("error"):
        raise MlbpError(f"only a single SELECT query is allowed: {ast.get('error_message')}", reason=Reason.POLICY,
                        key="sql", got=sql[:200], fix="query the views with SELECT ...")
    if len(ast.get("statements", [])) != 1:
        raise MlbpError("exactly one SELECT statement per query", reason=Reason.INPUT, key="sql", got=sql[:200])
    tables: set[str] = set()
    ctes: set[str] = set()
    functions: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TABLE_FUNCTION":
                functions.add(str((node.get("function") or {}).get("function_name", "?")))
            if node.get("type") == "BASE_TABLE":
                tables.add(str(node.get("table_name")))
            for entry in (node.get("cte_map") or {}).get("map", []) if isinstance(node.get("cte_map"), dict) else []:
                ctes.add(str(entry.get("key")))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(ast["statements"])
    unknown = sorted(tables - views - ctes)
    if functions or unknown:
        raise MlbpError(f"the query reads outside the governed views: {sorted(functions) + unknown}",
                        reason=Reason.POLICY, key="sql", expected=sorted(views), got=sorted(functions) + unknown,
                        fix="query the dataset views by name; the lake is only read through the policy")


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
