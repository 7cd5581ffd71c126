"""`mlbp registry ...` and `mlbp ui`: the registry commands, each a Hydra app like every other.

    mlbp registry list                         models, versions, aliases
    mlbp registry show <version>               one version (number, v3, or alias): lineage, checks, approvals
    mlbp registry approve <version> <alias>    record your approval (registry.actor, registry.reason=...)
    mlbp registry promote <version> <alias>    move the alias if the policy is satisfied, else list what is missing
    mlbp registry rollback <alias>             move the alias back to its previous holder
    mlbp registry history                      every alias move, in order
    mlbp registry diff <a> <b>                 metrics, scorecard, data, config, library deltas
    mlbp registry verify                       audit chain, alias history, bundle pins, orphaned folders
    mlbp registry gc                           remove orphaned folders and abandoned temp folders
    mlbp registry card <version>               write the model card (Markdown + HTML)
    mlbp registry audit                        the audit trail
    mlbp registry archive <version>            retire a version no alias points at
    mlbp registry tag <version> <key> <value>  set a tag
    mlbp registry keys create|revoke|list      personal keys: who holds the key is who acts (cmd_keys)
    mlbp ui                                    the dashboard (registry.ui.port, MLBP_ADMIN_KEY)
"""

from __future__ import annotations

import json
import time
from typing import Any

from omegaconf import DictConfig, OmegaConf

from mlbp.compose.allowlist import allowed_prefixes
from mlbp.compose.say import console, say, show_table
from mlbp.engine.errors import MlbpError


def registry_from(cfg: DictConfig) -> Any:
    """The Registry of this config's `registry:` section (mlbp.registry.store.registry_of): every
    command builds it here, so `registry.db` / `registry.root` reach all of them."""
    from mlbp.registry.store import registry_of

    allowed_prefixes(cfg)  # extends the `_target_` allow-list the sinks are built under
    return registry_of(registry_section(cfg))


def registry_section(cfg: DictConfig) -> dict[str, Any]:
    section = OmegaConf.select(cfg, "registry")
    if section is None:
        raise MlbpError("no 'registry' section in the config", key="registry", fix="compose the packaged defaults")
    return OmegaConf.to_container(section, resolve=True)  # type: ignore[return-value]


def _console():  # noqa: ANN202
    """A console that prints data as it is (markup off: model names, reasons and table cells may
    hold brackets); styled lines go through mlbp.compose.say."""
    return console(markup=False)


def _when(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) if t else ""


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "unknown"


def _actor(cfg: DictConfig) -> str:
    """Who acts: the holder of `registry.key` (MLBP_KEY) — required once the registry hands out
    personal keys — else `registry.actor` or the login name."""
    from mlbp.registry.keys import identify

    return identify(registry_from(cfg), str(cfg.registry.get("key") or ""), str(cfg.registry.actor or ""),
                    _login())


def _model(cfg: DictConfig) -> str:
    return str(cfg.registry.model)


def list_models(cfg: DictConfig, args: list[str]) -> int:
    from rich.table import Table

    reg = registry_from(cfg)
    models = reg.models()
    if not models:
        _console().print(f"the registry at {cfg.registry.db} is empty; run `mlbp` to register a model")
        return 0
    for m in models:
        aliases = reg.aliases(m["name"])
        by_version: dict[int, list[str]] = {}
        for a, v in aliases.items():
            by_version.setdefault(v, []).append(a)
        t = Table(title=f"{m['name']}", title_justify="left")
        for col in ("version", "aliases", "stack", "primary", "blessed", "author", "registered (UTC)", "status"):
            t.add_column(col)
        for v in reg.list_versions(m["name"]):
            sc = (v["info"] or {}).get("scorecard") or {}
            primary = sc.get("primary")
            held = ", ".join(sorted(by_version.get(v["version"], [])))
            t.add_row(f"v{v['version']}", held, str((v["info"] or {}).get("stack")),
                      f"{sc.get('primary_metric')}={primary:.4f}" if isinstance(primary, float) else "",
                      str(sc.get("blessed")), v["author"] or "", _when(v["created"]), v["status"])
        show_table(t)
    return 0


def show(cfg: DictConfig, args: list[str]) -> int:
    reg = registry_from(cfg)
    name = _model(cfg)
    v = reg.resolve(name, args[0])
    info = v["info"] or {}
    lineage = info.get("lineage") or {}
    c = _console()
    say("[bold]{} v{}[/]  status {}  by {}  {} UTC", name, v["version"], v["status"], v["author"], _when(v["created"]))
    c.print(f"bundle {v['bundle_sha']}  at {v['path']}")
    c.print(f"run {lineage.get('run_id')}  manifest {lineage.get('run_manifest')}  "
            f"code {(lineage.get('code') or {}).get('git_commit', 'unknown')}")
    c.print("metrics: " + json.dumps(info.get("metrics") or {}, default=str))
    c.print("tags: " + json.dumps(reg.tags(name, v["version"])))
    aliases = reg.aliases(name)
    c.print("aliases: " + (", ".join(f"{a}=v{n}" for a, n in sorted(aliases.items())) or "none"))
    for alias in sorted(set(cfg.registry.policy) - {"*"}):
        st = reg.promotion_status(name, v["version"], alias)
        verdict = "[green]ready[/]" if not st["missing"] else f"[red]{len(st['missing'])} missing[/]"
        say("promotion to '{}': " + verdict + "; approvals by {}", alias,
            ", ".join(a["actor"] for a in st["all_approvals"]) or "nobody yet")
        for m in st["missing"]:
            c.print(f"   - {m}", markup=False)
    return 0


def approve(cfg: DictConfig, args: list[str]) -> int:
    reg = registry_from(cfg)
    out = reg.approve(_model(cfg), int(reg.resolve(_model(cfg), args[0])["version"]), args[1],
                      _actor(cfg), str(cfg.registry.reason or ""))
    st = reg.promotion_status(_model(cfg), out["version"], args[1])
    _console().print(f"{out['actor']} approved {out['model']} v{out['version']} for '{args[1]}'"
                     + ("" if out["new"] else " (already approved)")
                     + (f"; still missing: {len(st['missing'])}" if st["missing"] else "; ready to promote"))
    return 0


def promote(cfg: DictConfig, args: list[str]) -> int:
    out = registry_from(cfg).promote(_model(cfg), args[0], args[1], _actor(cfg),
                                     str(cfg.registry.reason or ""), bool(cfg.registry.acknowledge_contract))
    msg = (f"'{out['alias']}' of {out['model']}: v{out['before']} -> v{out['after']}" if out["moved"]
           else f"'{out['alias']}' already points at v{out['after']}")
    _console().print(msg)
    return 0


def rollback(cfg: DictConfig, args: list[str]) -> int:
    out = registry_from(cfg).rollback(_model(cfg), args[0], _actor(cfg), str(cfg.registry.reason or ""))
    _console().print(f"rolled back '{out['alias']}' of {out['model']}: v{out['before']} -> v{out['after']}")
    return 0


def archive(cfg: DictConfig, args: list[str]) -> int:
    reg = registry_from(cfg)
    v = reg.resolve(_model(cfg), args[0])["version"]
    reg.archive(_model(cfg), v, _actor(cfg), str(cfg.registry.reason or ""))
    _console().print(f"archived {_model(cfg)} v{v}")
    return 0


def tag(cfg: DictConfig, args: list[str]) -> int:
    reg = registry_from(cfg)
    v = reg.resolve(_model(cfg), args[0])["version"]
    reg.set_tag(_model(cfg), v, args[1], args[2], _actor(cfg))
    _console().print(f"{_model(cfg)} v{v}: {args[1]}={args[2]}")
    return 0


def history(cfg: DictConfig, args: list[str]) -> int:
    from rich.table import Table

    t = Table(title=f"alias history of {_model(cfg)}", title_justify="left")
    for col in ("when (UTC)", "alias", "action", "from", "to", "actor", "reason"):
        t.add_column(col)
    for h in registry_from(cfg).history(_model(cfg)):
        t.add_row(_when(h["time"]), h["alias"], h["action"], f"v{h['previous']}" if h["previous"] else "-",
                  f"v{h['version']}", h["actor"], h["reason"] or "")
    show_table(t)
    return 0


def audit(cfg: DictConfig, args: list[str]) -> int:
    from rich.table import Table

    t = Table(title="audit trail", title_justify="left")
    for col in ("seq", "when (UTC)", "kind", "subject", "actor", "reason", "before -> after"):
        t.add_column(col)
    for r in registry_from(cfg).audit.records():
        d = r["details"] or {}
        t.add_row(str(r["seq"]), _when(r["time"]), r["kind"], r["subject"], r["actor"], r["reason"] or "",
                  f"{d.get('before')} -> {d.get('after')}")
    show_table(t)
    return 0


def diff(cfg: DictConfig, args: list[str]) -> int:
    from mlbp.registry.diff import diff_versions, render_text

    d = diff_versions(registry_from(cfg), _model(cfg), args[0], args[1])
    if OmegaConf.select(cfg, "registry.format", default="text") == "json":
        print(json.dumps(d, indent=2, default=str))
    else:
        _console().print(render_text(d), markup=False, highlight=False)
    return 0


def verify(cfg: DictConfig, args: list[str]) -> int:
    reg = registry_from(cfg)
    problems = reg.verify()
    c = _console()
    if not problems:
        n = len(reg.audit.records())
        say("[green]intact[/]: {} audit records chained, alias history replays, every bundle matches its pin", n)
        return 0
    say("[bold red]tampering or corruption found[/] ({}):", len(problems))
    for p in problems:
        c.print(f"  - {p}", markup=False)
    return 2


def gc(cfg: DictConfig, args: list[str]) -> int:
    """Remove what killed processes left: registry folders no version owns (audited), and the
    artifact store's temp folders whose writer is gone."""
    from mlbp.engine.store import ArtifactStore
    from mlbp.registry.orphans import collect

    removed = collect(registry_from(cfg), _actor(cfg))
    temps = ArtifactStore(str(cfg.paths.store)).remove_stale_temps()
    c = _console()
    c.print(f"removed {len(removed)} orphaned registry folder{'s' if len(removed) != 1 else ''}"
            f" and {len(temps)} abandoned temp folder{'s' if len(temps) != 1 else ''}", highlight=False)
    for p in removed:
        c.print(f"  - {p}", markup=False, highlight=False)
    return 0


def card(cfg: DictConfig, args: list[str]) -> int:
    from mlbp.report.model_card import write_card

    card_cfg = OmegaConf.to_container(cfg.registry.card, resolve=True) if "card" in cfg.registry else {}
    paths = write_card(registry_from(cfg), _model(cfg), args[0], str(cfg.registry.cards), card_cfg)
    _console().print(f"model card: {paths['html']}\n            {paths['md']}", highlight=False)
    return 0


def ui(cfg: DictConfig, args: list[str]) -> int:
    """Serve the dashboard until interrupted."""
    try:
        import uvicorn
    except ImportError as exc:
        raise MlbpError("the dashboard needs the serve extra", key="ui", fix='pip install "mlbp[serve]"') from exc
    from mlbp.compose.redaction import values_of
    from mlbp.report.dashboard.app import create_app

    u = cfg.registry.ui
    card_cfg = OmegaConf.to_container(cfg.registry.card, resolve=True) if "card" in cfg.registry else {}
    app = create_app(registry_from(cfg), _model(cfg), str(u.outputs), str(u.admin_key or ""),
                     card_config=card_cfg, secrets=values_of(cfg))
    _console().print(f"mlbp ui on http://{u.host}:{u.port} "
                     + ("(admin actions enabled with the key)" if u.admin_key else "(read-only: no admin key set)"))
    uvicorn.run(app, host=str(u.host), port=int(u.port), log_level="warning")
    return 0
