"""Data commands: `mlbp data query`, `mlbp catalog list|show|read`, `mlbp contract infer`, `mlbp init`.

Each is a Hydra app like the main run, so `team=`, `paths.*=` and `--config-dir` work the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from mlbp.compose.allowlist import allowed_prefixes, safe_instantiate
from mlbp.compose.say import say, show_table
from mlbp.engine.errors import MlbpError, Reason


def _plain(cfg: DictConfig, key: str) -> Any:
    node = OmegaConf.select(cfg, key)
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


def catalog_from(cfg: DictConfig):  # noqa: ANN202 - mlbp.data.catalog.Catalog
    """The catalog of this config (`paths.db`, where the pipeline's catalog stages write): every
    command builds it here."""
    from mlbp.data.catalog import Catalog

    return Catalog(str(cfg.paths.db))


def team_policy(cfg: DictConfig):  # noqa: ANN202 - mlbp.governance.policy.Policy
    """The governance policy of this config (its contract's classes included), for `cfg.team`."""
    from mlbp.contracts.spec import classifications
    from mlbp.governance.policy import Policy

    return Policy.from_spec(_plain(cfg, "governance"), classifications(_plain(cfg, "contract.columns") or {}))


def _console():  # noqa: ANN202
    from rich.console import Console

    return Console()


def query(cfg: DictConfig, args: list[str]) -> int:
    """`mlbp data query "SELECT ..."`: DuckDB over the lake, through the running team's policy."""
    from mlbp.data.lake_query import query as run_query
    from mlbp.governance.audit import AuditLog

    sql = args[0]
    team = str(cfg.team)
    opts = _plain(cfg, "query") or {}
    log = AuditLog(cfg.paths.db)
    table, rules = run_query(cfg.paths.lake, sql, team_policy(cfg), team, opts.get("memory_limit", "1GB"),
                             classes=_catalog_classes(cfg))
    rows = 0 if table is None else table.num_rows
    log.append("data_access", team, "lake", {"sql": sql, "views": sorted(rules), "governed": rules, "rows": rows,
                                             "purpose": opts.get("purpose")}, reason=opts.get("purpose") or "query")
    if table is None:
        return 0
    out = opts.get("output")
    if out:
        _write_table(table, Path(out))
        print(f"{rows} rows -> {out}")
        return 0
    _print_frame(table.slice(0, int(opts.get("limit", 50))).to_pandas(), f"{rows} rows")
    return 0


def _catalog_classes(cfg: DictConfig) -> dict[str, dict[str, str]]:
    """Column classes each dataset's own contract declared, as recorded in the catalog."""
    cat = catalog_from(cfg)
    return {r["name"]: cat.show(r["name"])["snapshot"]["classifications"] or {} for r in cat.list()}


def _write_table(table: Any, path: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        pacsv.write_csv(table, path)
    else:
        pq.write_table(table, path)


def _print_frame(df: Any, caption: str) -> None:
    from rich.table import Table

    t = Table(caption=caption)
    for c in df.columns:
        t.add_column(str(c))
    for row in df.itertuples(index=False):
        t.add_row(*["" if v is None else str(v) for v in row])
    show_table(t)


def catalog_list(cfg: DictConfig, args: list[str]) -> int:
    """`mlbp catalog list`: every dataset, its owner, newest snapshot and rows."""
    import time

    from rich.table import Table


    t = Table(title="catalog")
    for c in ("dataset", "owner", "source", "snapshot", "rows", "updated"):
        t.add_column(c)
    for r in catalog_from(cfg).list():
        src = r["source"] or {}
        t.add_row(r["name"], r["owner"] or "", str(src.get("kind", "")), r["latest_snapshot"], str(r["rows"]),
                  time.strftime("%Y-%m-%d %H:%M", time.localtime(r["updated"])))
    show_table(t)
    return 0


def catalog_show(cfg: DictConfig, args: list[str]) -> int:
    """`mlbp catalog show NAME`: schema, profile summary, classifications, snapshots, lineage."""
    from rich.table import Table

    from mlbp.data.profile import summary

    entry = catalog_from(cfg).show(args[0])
    if OmegaConf.select(cfg, "catalog.format", default="text") == "json":
        print(json.dumps(entry, indent=2, default=str))
        return 0
    snap = entry["snapshot"]
    con = _console()
    say("[bold]{}[/]  owner={}  snapshot={}  rows={}  fingerprint={}…", entry["name"], entry["owner"],
        snap["snapshot"], snap["rows"], snap["fingerprint"][:16], out=con)
    say("source: {}", json.dumps(entry["source"]), out=con)
    say("lake: {}", snap["path"], out=con)
    t = Table(title="columns")
    for c in ("column", "class", "dtype", "kind", "null_share", "distinct", "min", "p50", "max", "top"):
        t.add_column(c)
    classes = snap["classifications"] or {}
    for row in summary(snap["profile"]):
        t.add_row(row["column"], classes.get(row["column"], "public"), *[
            "" if row.get(k) is None else (f"{row[k]:.4g}" if isinstance(row[k], float) else str(row[k]))
            for k in ("dtype", "kind", "null_share", "distinct", "min", "p50", "max", "top")])
    show_table(t)
    lt = Table(title="lineage (runs and models that read it)")
    for c in ("snapshot", "kind", "ref", "team"):
        lt.add_column(c)
    for r in entry["lineage"]:
        lt.add_row(r["snapshot"], r["kind"], r["ref"], r["team"] or "")
    show_table(lt)
    return 0


def catalog_read(cfg: DictConfig, args: list[str]) -> int:
    """`mlbp catalog read NAME OUT.parquet`: export the dataset as the running team may see it."""
    name, out = args
    purpose = OmegaConf.select(cfg, "query.purpose", default=None) or "export"
    df = catalog_from(cfg).read(name, str(cfg.team), team_policy(cfg), purpose=purpose)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    else:
        df.to_parquet(path, index=False)
    print(f"{len(df)} rows, {len(df.columns)} columns -> {path} (as team {cfg.team})")
    return 0


def contract_infer(cfg: DictConfig, args: list[str]) -> int:
    """`mlbp contract infer OUT.yaml`: read the configured source and write a starting contract."""
    from mlbp.contracts.infer import contract_yaml, infer_contract

    source = safe_instantiate(cfg.data.source, "data.source", allowed_prefixes(cfg))
    df = source.read()
    contract = infer_contract(df, str(cfg.data.name), OmegaConf.select(cfg, "target"))
    out = Path(args[0])
    if out.exists() and not OmegaConf.select(cfg, "overwrite", default=False):
        raise MlbpError(f"{out} exists", reason=Reason.INPUT, key="out",
                        fix="pick another path or pass +overwrite=true")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(contract_yaml(contract, f"Inferred by `mlbp contract infer` from {cfg.data.name}; edit it.\n"
                                           f"Use it:  mlbp contract=<this file's name without .yaml>"))
    print(f"wrote {out}: {len(contract['columns'])} columns")
    return 0


def init(cfg: DictConfig, args: list[str]) -> int:
    """`mlbp init FOLDER DATA_FILE target=<col> [task=...] [time_column=...] [split=...]`: scaffold a project."""
    from mlbp.data.scaffold import scaffold

    folder, data = args
    explicit = _explicit_overrides()
    if "target" not in explicit:
        raise MlbpError("name the column to predict", reason=Reason.CONFIG, key="target",
                        fix=f"mlbp init {folder} {data} target=<column>")
    roles = OmegaConf.to_container(cfg.roles, resolve=True) if "roles" in cfg else {}
    dry_run = bool(OmegaConf.select(cfg, "dry_run", default=False))
    chosen = scaffold(folder, data, target=str(cfg.target),
                      task=str(cfg.task) if "task" in explicit else None,
                      time_column=str(cfg.time_column) if "time_column" in explicit else None,
                      id_column=str(cfg.id_column) if "id_column" in explicit else None,
                      team=str(cfg.team) if "team" in explicit else "data-science",
                      split=_option(cfg, "split") if "split" in explicit else None,
                      positive=cfg.positive_label if "positive_label" in explicit else None,
                      roles=roles, dry_run=dry_run,
                      overwrite=bool(OmegaConf.select(cfg, "overwrite", default=False)))
    _print_roles(chosen["roles"])
    print(f"project {chosen['name']}: task={chosen['task']}, time column={chosen['time_column']}, "
          f"id column={chosen['id_column']}, never model inputs={chosen['exclude']}, pii={chosen['pii']}")
    print(f"split: {chosen['split']}, because {chosen['split_reason']}")
    if chosen["positive"] is not None:
        print(f"positive class: {chosen['positive']!r}, {chosen['positive_rule']} "
              "(probability is about it; change with positive_label=...)")
    if dry_run:
        print("dry run: nothing written (drop +dry_run=true to write the project)")
    else:
        print(f"run it with:  mlbp --config-dir {chosen['conf']}")
    return 0


def _print_roles(rows: list[dict[str, str]]) -> None:
    """Every column's role as a table (rich), the same decisions the project's README lists."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="columns", show_lines=False, highlight=False)
    for col in ("column", "role", "reason", "change with"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*(r[c] for c in ("column", "role", "reason", "change with")))
    Console(width=160, markup=False).print(table)


def _explicit_overrides() -> set[str]:
    from hydra.core.hydra_config import HydraConfig

    return {o.split("=", 1)[0].lstrip("+~") for o in HydraConfig.get().overrides.task}


def _option(cfg: DictConfig, group: str) -> str | None:
    """The option chosen for a config group (`split=stratified` -> "stratified")."""
    from hydra.core.hydra_config import HydraConfig

    choice = HydraConfig.get().runtime.choices.get(group)
    return str(choice) if choice is not None else None
