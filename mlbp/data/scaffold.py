"""`mlbp init`: from a CSV or Parquet file and a target column to a project folder that runs.

Writes `<folder>/conf/` (a source pointing at the file, a contract inferred from it, governance
with one team, evaluation rules for the task) and a README. `mlbp --config-dir <folder>/conf`
then runs the default pipeline on it: Hydra adds that folder to its search path (after the
package's own configs, so it cannot replace `config.yaml`), and the package's defaults list
loads an optional `local/project.yaml`, a `# @package _global_` file like an experiment that
selects the project's groups and sets target, task and time column. Stacks, pipeline and deploy
still come from the package.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mlbp.contracts.infer import contract_yaml, infer_contract, looks_like_dates
from mlbp.data.init_plan import plan_project
from mlbp.data.labels import Labels
from mlbp.data.sources import CsvSource, ParquetSource, utc_times
from mlbp.engine.errors import MlbpError, Reason

TASKS = ("binary", "multiclass", "regression")

def guess_task(y: pd.Series) -> str:
    values = y.dropna()
    if pd.api.types.is_float_dtype(values) and not (values == values.round()).all():
        return "regression"
    n = values.nunique()
    if n == 2:
        return "binary"
    return "multiclass" if n <= 20 else "regression"


def _source(path: Path, name: str) -> tuple[dict[str, Any], pd.DataFrame]:
    if path.suffix.lower() in (".csv", ".txt", ".tsv", ".psv") or path.name.lower().endswith((".csv.gz", ".tsv.gz")):
        src = CsvSource(name, str(path), delimiter=None)  # sniffed (and the encoding), then written down
        df = src.read()
        dates = [c for c in df.columns if looks_like_dates(df[c])]
        for c in dates:
            df[c] = utc_times(df[c])
        spec = {"_target_": "mlbp.data.sources.CsvSource", "name": "${data.name}", "path": str(path),
                "delimiter": src.sniffed["delimiter"], "parse_dates": dates}
        if src.sniffed["encoding"] not in ("utf-8", "utf-8-sig"):
            spec["encoding"] = src.sniffed["encoding"]
        return spec, df
    df = ParquetSource(name, str(path)).read()
    dates = [c for c in df.columns if looks_like_dates(df[c])]  # dates stored as text inside the Parquet file
    for c in dates:
        df[c] = utc_times(df[c])
    return {"_target_": "mlbp.data.sources.ParquetSource", "name": "${data.name}", "path": str(path),
            "parse_dates": dates}, df


def scaffold(folder: str | Path, data_path: str | Path, target: str, task: str | None = None,
             time_column: str | None = None, id_column: str | None = None, team: str = "data-science",
             split: str | None = None, positive: Any = None, roles: dict[str, list[str]] | None = None,
             dry_run: bool = False, overwrite: bool = False) -> dict[str, Any]:
    """Write the project; returns what was chosen (task, time column, excluded columns, files)."""
    folder, data_path = Path(folder), Path(data_path).expanduser().resolve()
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in data_path.stem).strip("_") or "dataset"
    source, df = _source(data_path, name)
    if data_path.is_relative_to(folder.resolve()):  # data kept in the project travels with it
        source["path"] = f"${{project_file:{data_path.relative_to(folder.resolve()).as_posix()}}}"
    if target not in df.columns:
        raise MlbpError(f"target '{target}' is not a column of {data_path}", reason=Reason.CONFIG, key="target",
                        expected=list(df.columns), got=target)
    task = task or guess_task(df[target])
    if task not in TASKS:
        raise MlbpError("unknown task", reason=Reason.CONFIG, key="task", expected=" | ".join(TASKS), got=task)
    if time_column and time_column not in df.columns:
        raise MlbpError(f"time column '{time_column}' is not a column of {data_path}", reason=Reason.CONFIG,
                        key="time_column", expected=list(df.columns), got=time_column)
    plan = plan_project(df, target, task, time_column, id_column, split, roles)
    chosen_split, split_reason, time_column, id_column = plan.split, plan.split_reason, plan.time_column, plan.id_column
    labels = Labels.learn(df[target], task, positive, where=target) if task == "binary" else None
    chosen = {"name": name, "task": task, "time_column": time_column, "id_column": id_column,
              "exclude": plan.exclude, "pii": plan.personal, "conf": str(folder / "conf"), "rows": len(df),
              "split": chosen_split, "split_reason": split_reason, "group_column": plan.group_column,
              "positive": labels.positive if labels else None, "positive_rule": labels.rule if labels else None,
              "roles": plan.rows()}
    if dry_run:
        return chosen
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise MlbpError(f"{folder} already exists and is not empty: init writes nothing over it", reason=Reason.CONFIG,
                        key="folder", fix="pick a new folder, look first with +dry_run=true, or replace it with "
                                          "+overwrite=true")
    created = not folder.exists()
    if time_column and not pd.api.types.is_datetime64_any_dtype(df[time_column]):
        df[time_column] = utc_times(df[time_column])  # epoch seconds or a date given by name
    try:
        contract = infer_contract(df, name, target)
        for c in plan.personal:  # personal data is classified for governance, whatever its pattern
            contract["columns"][c]["pii"] = True
        pii = plan.personal
        exclude = plan.exclude

        conf = folder / "conf"
        for group in ("data", "contract", "governance", "evaluation"):
            (conf / group).mkdir(parents=True, exist_ok=True)
        run_cmd = f"mlbp --config-dir {conf}"  # as the user named the folder: the project can move
        (conf / "local").mkdir(parents=True, exist_ok=True)
        overrides = [{f"override /{g}": "local"} for g in ("data", "contract", "governance", "evaluation")]
        overrides.append({"override /split": chosen_split})
        # the packaged stacks name an estimator per task (see conf/stack), so `task` alone picks a regressor
        project = {"defaults": overrides,
                   "project": name.replace("_", "-"), "target": target, "task": task,
                   **({"positive_label": labels.positive} if labels else {}), "id_column": id_column,
                   "time_column": time_column, "team": team,
                   **({"split": {"group_column": plan.group_column}}
                      if plan.group_column and plan.group_column != id_column else {})}
        (conf / "local" / "project.yaml").write_text(
            f"# @package _global_\n# Project {name}: its choices over the packaged defaults. Run with:  {run_cmd}\n"
            + yaml.safe_dump(project, sort_keys=False, width=110).replace(
                f"- override /split: {chosen_split}\n",
                f"- override /split: {chosen_split}   # time | stratified | group (conf/split)\n"
                f"  # why: {split_reason}\n")
            + _registry_block(data_path, df, time_column, team))
        _write(conf / "data" / "local.yaml", f"Where the data comes from:  {run_cmd} data.source.path=<other file>", {
            "name": name, "owner": team, "source": source, "partition_by": "month",
            "exclude": exclude,  # ids, dates, personal data, constants and leak suspects are never model inputs
            "assess": {"fail_run": True, "thresholds": {  # a small table passes the bars it was scaffolded with
                "min_rows": min(500, len(df)), "min_rows_per_feature": 20,
                "min_minority_count": min(50, _minority(df[target], task)), "max_missing_share": 0.3,
                "min_rows_per_day": 1, "max_staleness_days": 3650, "leakage_auc": 0.98}},
        })
        header = f"Inferred from {data_path.name} by `mlbp init`; edit it.  Used by:  {run_cmd}"
        (conf / "contract" / "local.yaml").write_text(contract_yaml(contract, header))
        _write(conf / "governance" / "local.yaml", f"Who may see which columns:  {run_cmd} team={team}", {
            "teams": {team: {"roles": ["modeler"], "rules": {"pii": "mask", "sensitive": "allow", "public": "allow"}}},
            "classifications": {c: "pii" for c in pii},
            "key_env": "MLBP_MASK_KEY", "key_file": "${paths.state}/mask.key",
        })
        thresholds = {"binary": {"roc_auc": {"min": 0.6}}, "multiclass": {"roc_auc_ovr": {"min": 0.6}},
                      "regression": {"r2": {"min": 0.0}}}[task]
        _write(conf / "evaluation" / "local.yaml", f"How candidates are scored and blessed:  {run_cmd}",
               _packaged("evaluation/default.yaml") | {"business": {}, "thresholds": thresholds})
        shown = Path(source["path"].removeprefix("${project_file:").removesuffix("}")) \
            if source["path"].startswith("${project_file:") else data_path
        (folder / "README.md").write_text(_readme(name, shown, target, task, chosen_split, split_reason, exclude,
                                                  conf) + roles_table(plan.rows()))
    except BaseException:
        if created:  # nothing half-written: a folder this call made goes again
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return chosen


def roles_table(rows: list[dict[str, str]]) -> str:
    """The README's record of every decision init made, with the override that changes it."""
    lines = ["", "## Every column, and why", "",
             "Change a decision with `mlbp init ... roles.<role>=[<column>] +overwrite=true` (or edit `conf/`).",
             "", "| column | role | reason | change with |", "|---|---|---|---|"]
    lines += [f"| `{r['column']}` | {r['role']} | {r['reason']} | `{r['change with']}` |" for r in rows]
    return "\n".join(lines) + "\n"


def _registry_block(data_path: Path, df: pd.DataFrame, time_column: str | None, team: str) -> str:
    """Who approves and what the model card says: drafted from what init saw, never from an example."""
    times = df[time_column].dropna() if time_column else []
    span = f", {times.min():%Y-%m-%d} to {times.max():%Y-%m-%d} by {time_column}" if len(times) else ""
    limitation = f"Trained on {data_path.name} ({len(df):,} rows{span}); recheck before using it on other data."
    return (
        "\nregistry:            # change management over the packaged rules (conf/registry)\n"
        "  roles: {}          # who may approve, e.g. {ana: [approver, lead], ben: [approver]}: the champion\n"
        "                     # needs two approvals, one from a lead, never the author's own\n"
        "  card:              # what the model card says that no metric can\n"
        "    intended_use: null   # what the model is for and not for; the card says \"not stated\" until set\n"
        f"    owners: [{team}]\n"
        f"    limitations:\n      - {yaml.safe_dump(limitation, width=10_000).strip().removesuffix('...').strip()}\n")


def _packaged(rel: str) -> dict[str, Any]:
    """A packaged config as data, so a scaffolded file starts from every current default."""
    from importlib import resources

    return yaml.safe_load((resources.files("mlbp.conf") / rel).read_text())


def _minority(y: pd.Series, task: str) -> int:
    """Rows of the rarest class (classification); 50 for regression (the check does not apply)."""
    return int(y.value_counts().min()) if task != "regression" and y.notna().any() else 50


def _write(path: Path, comment: str, payload: dict[str, Any]) -> None:
    path.write_text(f"# {comment}\n" + yaml.safe_dump(payload, sort_keys=False, width=110))


def _readme(name: str, data: Path, target: str, task: str, split: str, why: str, exclude: list[str],
            conf: Path) -> str:
    return f"""# {name}

Scaffolded by `mlbp init` from `{data}`: predict `{target}` ({task}).

Holdout: the `{split}` split, because {why}. Change it in `conf/local/project.yaml`
(`override /split: time | stratified | group`) or for one run with `split=<option>`.

Run the whole pipeline (ingest, contract, feasibility, catalog, train, evaluate, package,
register, batch scoring, report):

```bash
mlbp --config-dir {conf}
mlbp --config-dir {conf} stack=xgboost        # another candidate stack
mlbp catalog show {name} --config-dir {conf}
```

What to edit first:

- `conf/contract/local.yaml`: inferred from one sample. Tighten ranges and categories; mark
  personal data with `pii: true`.
- `conf/data/local.yaml`: `exclude` lists columns that are never model inputs ({", ".join(exclude) or "none"});
  `assess.thresholds` are the feasibility rules (rows, balance, arrival rate, freshness).
- `conf/governance/local.yaml`: teams and what each may see (allow, mask, deny).
- `conf/evaluation/local.yaml`: the metric thresholds a model must meet to be blessed.
- `conf/local/project.yaml`, `registry:`: who may approve a champion (`roles`) and the model
  card's intended use, owners and limitations.
"""
