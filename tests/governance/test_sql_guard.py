"""`mlbp data query` reads the lake only through the governed views, however the SQL is written.

A team denied `email` once read raw emails (and an arbitrary CSV) with two CTEs, one named like
a lake file: the guard exempted every CTE name anywhere in the query while DuckDB resolved the
outer reference as a file. Here several hundred generated queries (CTEs in every scope, quoting,
comments, table functions, file paths and globs, schema-qualified names, several statements,
ATTACH, COPY, PRAGMA, SET, ...) either fail with a clear error or return nothing the team may not
see; and legitimate analysis (CTEs over the views, joins, aggregates, window functions) still
returns exactly the right rows, so a guard that refused everything would fail too."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from mlbp.data.lake import snapshots, write_snapshot
from mlbp.data.lake_query import query
from mlbp.engine.errors import MlbpError
from mlbp.governance.policy import Policy, mask_value

MARKER = "SECRET-MARKER-7f3a"
TEAM = "marketing"


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("guard")
    lake = root / "lake"
    customers = pd.DataFrame({"id": range(1, 41), "email": [f"person{i}@example.com" for i in range(1, 41)],
                              "city": ["Oslo", "Rome", "Lima", "Pune"] * 10,
                              "spend": [float(i * 7 % 90) for i in range(40)]})
    orders = pd.DataFrame({"id": [i % 40 + 1 for i in range(100)], "amount": [float(i % 13) for i in range(100)]})
    write_snapshot(customers, lake, "customers")
    write_snapshot(orders, lake, "orders")
    (root / "secret.csv").write_text(f"token\n{MARKER}\n")
    (root / "secret.json").write_text(f'{{"token": "{MARKER}"}}\n')
    pd.DataFrame({"token": [MARKER]}).to_parquet(root / "secret.parquet")
    policy = Policy(teams={TEAM: {"rules": {"pii": "deny", "location": "mask"}}},
                    classifications={"email": "pii", "city": "location"}, key=b"k" * 32)
    snap = next(s for s in snapshots(lake) if s["dataset"] == "customers")
    files = sorted(Path(snap["path"]).rglob("*.parquet"))
    return {"root": root, "lake": lake, "policy": policy, "customers": customers, "orders": orders,
            "snap_file": files[0].as_posix(), "snap_glob": f"{Path(snap['path']).as_posix()}/**/*.parquet"}


def _forbidden(lake: dict) -> list[str]:
    """Values the team must never see: raw emails, raw cities (masked for it), the outside file."""
    return [*lake["customers"]["email"], "Oslo", "Rome", "Lima", "Pune", MARKER]


def _sources(lake: dict) -> list[str]:
    root, snap, glob = lake["root"].as_posix(), lake["snap_file"], lake["snap_glob"]
    rel = Path(snap).relative_to(Path.cwd()).as_posix() if Path(snap).is_relative_to(Path.cwd()) else snap
    return [
        f"'{snap}'", f'"{snap}"', f"'{rel}'", f"'{glob}'", f'"{glob}"', f"'{snap.upper()}'",
        f"read_parquet('{glob}')", f"parquet_scan('{snap}')", f"read_parquet(['{snap}'])",
        f"'{root}/secret.csv'", f'"{root}/secret.csv"', f"read_csv('{root}/secret.csv')",
        f"read_csv_auto('{root}/secret.csv')", f"read_text('{root}/secret.csv')", f"read_blob('{root}/secret.csv')",
        f"read_json('{root}/secret.json')", f"'{root}/secret.parquet'", f"glob('{root}/*')",
        f"sniff_csv('{root}/secret.csv')", "query_table('customers')", "query('SELECT * FROM customers')",
        "duckdb_views()", "duckdb_settings()", "duckdb_secrets()", "information_schema.views",
        "information_schema.columns", "main.customers", "memory.main.customers", "system.main.duckdb_views",
        "parquet_metadata('" + snap + "')",
    ]


WRAPPERS = [
    "SELECT * FROM {src}",
    "SELECT email FROM {src}",
    "WITH x AS (SELECT * FROM {src}) SELECT * FROM x",
    # the reported bypass: a CTE named like the source, defined in an inner scope only
    'WITH a AS (SELECT 1 AS z) SELECT * FROM (WITH "{name}" AS (SELECT * FROM customers) SELECT * FROM a) t, {src}',
    'WITH "{name}" AS (SELECT * FROM customers) SELECT * FROM (SELECT * FROM {src}) s',
    "SELECT * FROM customers WHERE id IN (SELECT 1 FROM {src})",
    "SELECT * FROM customers /* a comment */ UNION ALL SELECT * FROM {src}",
    "-- a comment\nSELECT * FROM {src}",
    "SELECT (SELECT max(CAST(COLUMNS(*) AS VARCHAR)) FROM {src}) AS e",
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 2) SELECT * FROM r, {src}",
    "SELECT * FROM customers, LATERAL (SELECT * FROM {src}) l",
    "SELECT * FROM customers; SELECT * FROM {src}",
]

STATEMENTS = [
    "ATTACH '{root}/other.db' AS other", "ATTACH ':memory:' AS m; SELECT 1", "DETACH other",
    "COPY customers TO '{root}/copied.csv'", "COPY (SELECT * FROM customers) TO '{root}/copied.parquet'",
    "EXPORT DATABASE '{root}/exported'", "PRAGMA database_list", "PRAGMA table_info('customers')",
    "SET enable_external_access = true", "SET lock_configuration = false; SELECT * FROM customers",
    "RESET allowed_directories", "INSTALL httpfs", "LOAD httpfs", "CREATE TABLE t AS SELECT 1",
    "CREATE VIEW customers2 AS SELECT * FROM customers", "DROP VIEW customers", "CALL duckdb_views()",
    "DESCRIBE customers", "SUMMARIZE customers", "SELECT 1; SELECT 2", "", "   ", "/* only a comment */",
    "SELECT * FROM customers WHERE", "SELECT getenv('HOME')", "CREATE MACRO m() AS 1",
    "SELECT * FROM customers UNION ALL SELECT * FROM \"{root}/secret.csv\"",
]


def _attacks(lake: dict) -> list[str]:
    root = lake["root"].as_posix()
    out = []
    for src, wrapper in itertools.product(_sources(lake), WRAPPERS):
        name = src.strip("'\"") if src[0] in "'\"" else src
        out.append(wrapper.format(src=src, name=name.replace('"', '""')))
    out += [s.format(root=root) for s in STATEMENTS]
    return out


def test_at_least_two_hundred_attacks_never_return_what_governance_denies(lake):
    attacks = _attacks(lake)
    assert len(attacks) >= 200
    forbidden = _forbidden(lake)
    answered = 0
    for sql in attacks:
        try:
            table, _ = query(lake["lake"], sql, lake["policy"], TEAM)
        except MlbpError as exc:
            assert len(str(exc).splitlines()[0]) < 400, sql
            continue
        answered += 1
        text = "" if table is None else table.to_pandas().astype(str).to_csv()
        leaked = [v for v in forbidden if v in text]
        assert not leaked, (sql, leaked[:3])
    assert not list(lake["root"].glob("copied*")) and not (lake["root"] / "exported").exists()
    assert answered < len(attacks) // 10  # nearly all of them are refused outright, not just filtered


def test_the_guard_refuses_by_name_before_duckdb_runs_anything(lake):
    snap = lake["snap_file"]
    bypass = f'WITH a AS (SELECT 1 AS z) SELECT * FROM (WITH "{snap}" AS (SELECT 1) SELECT * FROM a) t, "{snap}"'
    with pytest.raises(MlbpError, match="reads outside the governed views"):
        query(lake["lake"], bypass, lake["policy"], TEAM)
    with pytest.raises(MlbpError, match="reads outside the governed views: \\['information_schema.views'\\]"):
        query(lake["lake"], "SELECT * FROM information_schema.views", lake["policy"], TEAM)


def _rows(lake: dict, sql: str) -> list[dict]:
    table, _ = query(lake["lake"], sql, lake["policy"], TEAM)
    return table.to_pylist()


def test_legitimate_analysis_returns_exactly_the_right_rows(lake):
    c, o = lake["customers"], lake["orders"]
    assert _rows(lake, "SELECT id, spend FROM customers ORDER BY id") == c[["id", "spend"]].to_dict("records")
    assert _rows(lake, "SELECT count(*) AS n FROM CUSTOMERS") == [{"n": 40}]
    big = int((c["spend"] > 50).sum())
    assert _rows(lake, "WITH big AS (SELECT * FROM customers WHERE spend > 50) SELECT count(*) AS n FROM big") \
        == [{"n": big}]
    totals = o.groupby("id")["amount"].sum()
    got = _rows(lake, "SELECT c.id, sum(o.amount) AS total FROM customers c JOIN orders o USING (id) "
                      "GROUP BY c.id ORDER BY c.id")
    assert got == [{"id": int(i), "total": float(t)} for i, t in totals.items()]
    ranks = c["spend"].rank(method="min", ascending=False).astype(int)
    got = _rows(lake, "SELECT id, rank() OVER (ORDER BY spend DESC) AS r FROM customers ORDER BY id")
    assert [r["r"] for r in got] == ranks.tolist()
    # a CTE used inside a subquery, a later CTE reading an earlier one, a recursive CTE, a pure function
    got = _rows(lake, "WITH a AS (SELECT id FROM customers WHERE id <= 3), b AS (SELECT id * 10 AS t FROM a) "
                      "SELECT * FROM (SELECT t FROM b ORDER BY t) s")
    assert got == [{"t": 10}, {"t": 20}, {"t": 30}]
    got = _rows(lake, "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 4) "
                      "SELECT count(*) AS k FROM r JOIN customers ON customers.id = r.n")
    assert got == [{"k": 4}]
    assert _rows(lake, "SELECT count(*) AS k FROM range(5) t(i) JOIN customers ON customers.id = t.i") == [{"k": 4}]
    # a masked column is the keyed hash, so it still groups and joins
    masked = {mask_value(city, lake["policy"].key): n for city, n in c["city"].value_counts().items()}
    got = _rows(lake, "SELECT city, count(*) AS n FROM customers GROUP BY city")
    assert {r["city"]: r["n"] for r in got} == masked


def test_a_denied_column_is_named_in_the_error(lake):
    with pytest.raises(MlbpError, match="email"):
        query(lake["lake"], "SELECT email FROM customers", lake["policy"], TEAM)
