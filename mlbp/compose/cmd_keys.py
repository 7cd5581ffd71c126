"""`mlbp registry keys create|revoke|list`: personal keys (mlbp.registry.keys).

    mlbp registry keys create alice     prints alice's key once (give it to her; only its hash is kept)
    mlbp registry keys revoke alice     her keys stop working at once (registry.revoke_only=<prefix> for one)
    mlbp registry keys list             holders, prefixes, who created and revoked them, when

The first key may be created by anyone who can open the registry's database; after that only a
holder with the `admin` role (registry.roles) may create or revoke keys, with their own key.
"""

from __future__ import annotations

from omegaconf import DictConfig

from mlbp.engine.errors import MlbpError, Reason


def _admin(cfg: DictConfig) -> str:
    """Who is managing keys: anyone while the registry has none, then only an admin key holder."""
    from mlbp.compose.cmd_registry import _actor, registry_from
    from mlbp.registry.keys import any_active

    reg = registry_from(cfg)
    first = not any_active(reg)
    actor = _actor(cfg)
    if not first and "admin" not in reg.policy.roles_of(actor):
        raise MlbpError(f"{actor} may not manage keys", reason=Reason.NOT_ALLOWED, key="registry.roles",
                        expected="a holder with the admin role", got=actor,
                        fix=f"registry.roles.{actor}: [admin] in the project's registry config, or ask an admin")
    return actor


def create(cfg: DictConfig, args: list[str]) -> int:
    from mlbp.compose.cmd_registry import registry_from
    from mlbp.compose.say import say
    from mlbp.registry.keys import create_key

    actor = _admin(cfg)
    key, row = create_key(registry_from(cfg), args[0], actor)
    # the key goes to stdout alone (to pipe into a secret store); the note to stderr
    print(key)
    say("key {}… for {} (shown once; only its hash is stored). They set MLBP_KEY to it.", row["prefix"],
        row["holder"], err=True)
    return 0


def revoke(cfg: DictConfig, args: list[str]) -> int:
    from mlbp.compose.cmd_registry import _console, registry_from
    from mlbp.registry.keys import revoke_keys

    actor = _admin(cfg)
    prefix = cfg.registry.get("revoke_only")
    n = revoke_keys(registry_from(cfg), args[0], actor, str(prefix) if prefix else None)
    _console().print(f"revoked {n} key{'s' if n != 1 else ''} of {args[0]}", highlight=False, markup=False)
    return 0


def list_keys(cfg: DictConfig, args: list[str]) -> int:
    from rich.table import Table

    from mlbp.compose.cmd_registry import _when, registry_from
    from mlbp.compose.say import show_table
    from mlbp.registry.keys import list_keys as rows

    t = Table(title="keys")
    for col in ("holder", "prefix", "created (UTC)", "by", "revoked (UTC)", "by"):
        t.add_column(col)
    for r in rows(registry_from(cfg)):
        t.add_row(r["holder"], r["prefix"] + "…", _when(r["created"]), r["created_by"], _when(r["revoked"]),
                  r["revoked_by"] or "")
    show_table(t)
    return 0
