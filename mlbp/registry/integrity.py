"""`mlbp registry verify`: is the registry what its own records say it is?

Three independent checks, every problem reported at once:
  - the audit log's hash chain (an edited, deleted or inserted row breaks it),
  - the alias history replays to exactly the current aliases (an alias moved by raw SQL shows),
  - every registered bundle is the folder registered (its pin) and matches its own manifest,
  - no folder under the root is left by a register that was killed (mlbp.registry.orphans).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlbp.engine.errors import MlbpError
from mlbp.registry.bundle import verify as verify_bundle
from mlbp.registry.orphans import find_orphans
from mlbp.registry.pinning import check_pinned

if TYPE_CHECKING:
    from mlbp.registry.store import Registry


def verify_registry(reg: Registry) -> list[str]:
    problems = [f"audit: {p}" for p in reg.audit.verify()]
    replay: dict[tuple[str, str], int] = {}
    for h in reg.history():
        key = (h["model"], h["alias"])
        if replay.get(key) != h["previous"]:
            problems.append(f"alias history {h['id']}: {key[0]}:{key[1]} moved from v{h['previous']} "
                            f"but held v{replay.get(key)}")
        replay[key] = h["version"]
    for m in reg.models():
        for alias, held in reg.aliases(m["name"]).items():
            if replay.get((m["name"], alias)) != held:
                problems.append(f"alias {m['name']}:{alias} is v{held} but its history ends at "
                                f"v{replay.get((m['name'], alias))}")
    for orphan in find_orphans(reg):
        problems.append(f"orphaned folder {orphan}: no version of the registry owns it (a register that was "
                        "killed?); `mlbp registry gc` removes it")
    for version in reg.list_versions():
        try:
            verify_bundle(version["path"])  # names the file when only a file changed
            check_pinned(version)  # the folder as a whole, manifest included
        except MlbpError as exc:
            problems.append(f"bundle {version['model']} v{version['version']}: {exc.message}")
    return problems
