"""Who may see which columns: teams, column classes, and a rule per (team, class).

The spec is the `governance` config group::

    teams:
      data-science: {roles: [modeler], rules: {pii: mask, sensitive: allow, public: allow}}
      marketing:    {roles: [analyst], rules: {pii: deny, sensitive: mask, public: allow}}
    classifications: {email: pii, customer_id: sensitive}
    key_env: MLBP_MASK_KEY          # the masking key comes from this variable when it is set,
    key_file: .mlbp/mask.key        # else from this file (created once with a random key)

`allow` passes a column through, `mask` replaces each value by a keyed HMAC-SHA256 (equal
values stay equal, so masked columns still join), `deny` drops the column. A column with no
classification is `public`. A team missing from the spec is refused, never defaulted to allow.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlbp.engine.errors import MlbpError, Reason

if TYPE_CHECKING:
    import pandas as pd

RULES = ("allow", "mask", "deny")
DEFAULT_CLASS = "public"
MASK_PREFIX = "m_"  # masked values are recognisable: m_<24 hex chars>
MASK_HEX = 24


def load_key(key_env: str | None = "MLBP_MASK_KEY", key_file: str | Path | None = None) -> bytes:
    """The masking key: from the environment when set, else from a key file created once with
    random bytes (mode 0600). Never a constant in code: a shipped default key would make every
    mask reversible by a dictionary attack."""
    if key_env and os.environ.get(key_env):
        return os.environ[key_env].encode()
    if not key_file:
        raise MlbpError("no masking key", reason=Reason.POLICY, key="governance.key_file",
                        expected=f"${key_env} set or a key file path", got=None,
                        fix=f"export {key_env}=<secret> or set governance.key_file")
    path = Path(key_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_hex(32).encode())
        finally:
            os.close(fd)
    return path.read_bytes().strip()


def mask_value(value: Any, key: bytes) -> str | None:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    digest = hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()
    return MASK_PREFIX + digest[:MASK_HEX]


def mask_series(s: pd.Series, key: bytes) -> pd.Series:
    """Mask each distinct value once (vectorized over the factorized codes); nulls stay null."""
    import pandas as pd

    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    masked = pd.array([mask_value(u, key) for u in uniques] + [None], dtype="str")
    return pd.Series(masked[codes], index=s.index, name=s.name, dtype="str")


def govern_arrow(table: Any, rules: dict[str, str], key: bytes | None) -> Any:
    """An Arrow table as a team may see it: `deny` columns dropped, `mask` columns replaced by the
    keyed hash (each distinct value hashed once; nulls stay null). `rules` holds only the columns
    that are not `allow` (Policy.decisions); batch outputs and their quarantine go through here."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in [c for c in table.column_names if rules.get(c) == "deny"]:
        table = table.drop_columns([name])
    for i, name in enumerate(table.column_names):
        if rules.get(name) != "mask":
            continue
        if key is None:
            raise MlbpError("masking needs a key", reason=Reason.POLICY, key="governance.key_file",
                            fix="set MLBP_MASK_KEY or governance.key_file")
        col = pc.cast(table.column(i), pa.string()) if not pa.types.is_string(table.column(i).type) \
            else table.column(i)
        encoded = pc.dictionary_encode(col).combine_chunks()
        masked = pa.array([mask_value(v, key) for v in encoded.dictionary.to_pylist()], pa.string())
        values = pc.take(masked, encoded.indices)
        table = table.set_column(i, pa.field(name, pa.string()), values)
    return table


def column_classes(spec: dict[str, Any] | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Column -> class: the contract's declarations, overridden by governance.classifications."""
    classes = dict(extra or {}) | dict((spec or {}).get("classifications") or {})
    return {str(k): str(v) for k, v in classes.items()}


@dataclass
class Policy:
    """The governance spec, checked once when built; `apply` enforces it on a frame."""

    teams: dict[str, dict[str, Any]] = field(default_factory=dict)
    classifications: dict[str, str] = field(default_factory=dict)
    key: bytes | None = field(default=None, repr=False)  # never printed: it unmasks every value

    @classmethod
    def from_spec(cls, spec: dict[str, Any] | None, extra_classes: dict[str, str] | None = None,
                  key: bytes | None = None, state_dir: str | Path | None = None) -> Policy:
        spec = dict(spec or {})
        problems = []
        teams = dict(spec.get("teams") or {})
        for team, tspec in teams.items():
            for klass, rule in dict((tspec or {}).get("rules") or {}).items():
                if rule not in RULES:
                    problems.append(f"governance.teams.{team}.rules.{klass}: expected one of {RULES}, got {rule!r}")
        if problems:
            raise MlbpError("the governance spec is invalid:\n  " + "\n  ".join(problems), reason=Reason.POLICY,
                            key="governance.teams")
        classes = column_classes(spec, extra_classes)
        if key is None and teams:
            key_file = spec.get("key_file") or (Path(state_dir) / "mask.key" if state_dir else None)
            key = load_key(spec.get("key_env", "MLBP_MASK_KEY"), key_file)
        return cls(teams=teams, classifications=classes, key=key)

    @property
    def enabled(self) -> bool:
        return bool(self.teams)

    def class_of(self, column: str) -> str:
        return self.classifications.get(column, DEFAULT_CLASS)

    def rule(self, team: str, column: str) -> str:
        """allow | mask | deny for this team and column. Unknown teams are refused."""
        if not self.enabled:
            return "allow"
        if team not in self.teams:
            raise MlbpError(f"team '{team}' is not declared in the governance config", reason=Reason.POLICY,
                            key="team", expected=sorted(self.teams), got=team,
                            fix="use a declared team or add it under governance.teams")
        klass = self.class_of(column)
        rules = dict(self.teams[team].get("rules") or {})
        # an unlisted class is allowed only if it is public; anything classified is denied by default
        return rules.get(klass, "allow" if klass == DEFAULT_CLASS else "deny")

    def decisions(self, team: str, columns: Iterable[str]) -> dict[str, str]:
        return {c: self.rule(team, c) for c in columns}

    def apply(self, df: pd.DataFrame, team: str) -> tuple[pd.DataFrame, dict[str, str]]:
        """The frame this team may see, and the rule applied per column."""
        rules = self.decisions(team, df.columns)
        if all(r == "allow" for r in rules.values()):
            return df, rules
        out = df.drop(columns=[c for c, r in rules.items() if r == "deny"])
        for c, r in rules.items():
            if r == "mask":
                out[c] = mask_series(out[c], self.secret())
        return out, rules

    def mask_values(self, column: str, values: pd.Series, team: str) -> pd.Series:
        """Values taken from `column` (e.g. failure cases) as this team may see them; denied -> null."""
        import pandas as pd

        r = self.rule(team, column)
        if r == "allow":
            return values
        if r == "mask":
            return mask_series(values, self.secret())
        return pd.Series([None] * len(values), index=values.index, dtype="str")

    def hidden(self, team: str, columns: Iterable[str]) -> list[str]:
        """Columns whose raw values this team may not see (masked or denied)."""
        return [c for c in columns if self.rule(team, c) != "allow"]

    def secret(self) -> bytes:
        """The masking key (for code that masks outside a frame, e.g. unparseable lines)."""
        if self.key is None:
            raise MlbpError("masking needs a key", reason=Reason.POLICY, key="governance.key_file",
                            fix="set MLBP_MASK_KEY or governance.key_file")
        return self.key
