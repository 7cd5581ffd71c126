"""Optional API keys with scopes, compared in constant time.

YAML (`deploy.rest.api_keys`; keep the secrets in the environment)::

    api_keys:
      - {key: "${oc.env:MLBP_PREDICT_KEY}", scopes: [predict]}
      - {key: "${oc.env:MLBP_ADMIN_KEY}", scopes: [predict, admin]}

Clients send `Authorization: Bearer <key>` or `X-API-Key: <key>`. No keys configured: open.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from mlbp.deploy.runtime.signature import InputError
from mlbp.engine.errors import MlbpError

SCOPES = ("predict", "admin")


class ApiKeys:
    def __init__(self, entries: list[dict[str, Any]] | None) -> None:
        self.entries: list[tuple[bytes, frozenset[str]]] = []
        for i, e in enumerate(entries or []):
            key, scopes = str(e.get("key") or ""), set(e.get("scopes") or [])
            if len(key) < 16:
                raise MlbpError("an API key must have at least 16 characters", key=f"deploy.rest.api_keys[{i}].key",
                                fix="generate one: python -c 'import secrets; print(secrets.token_urlsafe(32))'")
            if not scopes or not scopes <= set(SCOPES):
                raise MlbpError("unknown scopes", key=f"deploy.rest.api_keys[{i}].scopes", expected=list(SCOPES),
                                got=sorted(scopes))
            # compare digests: equal length, so compare_digest's time does not depend on the key
            self.entries.append((hashlib.sha256(key.encode()).digest(), frozenset(scopes)))

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    def check(self, headers: Any, scope: str) -> None:
        """Raise a 401 (no or unknown key) or 403 (key lacks the scope)."""
        if not self.entries:
            return
        given = headers.get("x-api-key")
        if given is None:
            auth = headers.get("authorization") or ""
            given = auth[7:] if auth[:7].lower() == "bearer " else None
        if not given:
            raise InputError("an API key is required (Authorization: Bearer <key> or X-API-Key)", field="api_key",
                             status=401)
        digest = hashlib.sha256(given.encode()).digest()
        found: frozenset[str] | None = None
        for known, scopes in self.entries:  # visit every entry: time does not reveal which matched
            if hmac.compare_digest(known, digest):
                found = scopes
        if found is None:
            raise InputError("unknown API key", field="api_key", status=401)
        if scope not in found:
            raise InputError(f"this API key lacks the '{scope}' scope", field="api_key", status=403)
