"""Registers killed half way leave folders no version owns: `mlbp registry verify` reports them and
`mlbp registry gc` removes them (audited), with the artifact store's abandoned temp folders, and
never touches a registered version's folder or a folder still being written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from mlbp.cli import main
from mlbp.engine.store import ArtifactStore
from mlbp.registry.orphans import find_orphans
from mlbp.registry.policy import Policy
from mlbp.registry.store import Registry


def _killed_register(db: str, root: Path, bundle: Path, sha: str, patch: str) -> None:
    """Register `bundle` in a process that SIGKILLs itself where `patch` says."""
    script = "\n".join([
        "import os, shutil, signal",
        "from mlbp.registry import store",
        "from mlbp.registry.policy import Policy",
        "die = lambda *a: os.kill(os.getpid(), signal.SIGKILL)",
        patch,
        f"store.Registry({db!r}, {str(root)!r}, Policy()).register('m', {str(bundle)!r}, {sha!r}, author='dave')",
    ])
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()


def test_killed_registers_are_reported_then_collected(tmp_path, bundle_factory, capsys):
    db, root = f"sqlite:///{tmp_path / 'r.db'}", tmp_path / "registry"
    reg = Registry(db, root, Policy())
    b1, sha1 = bundle_factory("a")
    reg.register("m", b1, sha1, author="dave")
    b2, sha2 = bundle_factory("b")
    b3, sha3 = bundle_factory("c")
    # killed in the middle of the copy
    _killed_register(db, root, b3, sha3, "orig = shutil.copytree\n"
                     "store.shutil.copytree = lambda src, dst, **k: (orig(src, dst, **k), die())")
    # killed after its copy was renamed into place, before the transaction committed
    _killed_register(db, root, b2, sha2, "orig = store.Registry._copy\n"
                     "store.Registry._copy = lambda self, src, target: (orig(self, src, target), die())")
    assert reg.versions("m") == [1]
    left = sorted(p.name for p in (root / "m").iterdir())
    assert left[0].startswith(".v2.") and left[1:] == ["v1", "v2"]

    where = [f"registry.db={db}", f"registry.root={root}", f"paths.store={tmp_path / 'store'}"]
    assert main(["registry", "verify", *where]) == 2
    out = capsys.readouterr().out
    assert out.count("orphaned folder") == 2 and str(root / "m" / "v2") in out

    # an abandoned stage temp folder (its process is gone) and one still being written (ours)
    store = ArtifactStore(tmp_path / "store")
    ours = store.new_temp()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = tmp_path / "store" / "tmp" / f"{dead.stdout.strip()}-deadbeef"
    abandoned.mkdir()

    assert main(["registry", "gc", *where]) == 0
    said = capsys.readouterr().out
    assert "removed 2 orphaned registry folders and 1 abandoned temp folder" in said
    assert sorted(p.name for p in (root / "m").iterdir()) == ["v1"]
    assert ours.is_dir() and not abandoned.exists()
    assert main(["registry", "verify", *where]) == 0
    gc = reg.audit.records(kind="gc")
    assert len(gc) == 1 and sorted(gc[0]["details"]["removed"]) == sorted(["m/v2", f"m/{left[0]}"])
    assert reg.checked("m", 1)["version"] == 1  # the registered version is untouched
    # the killed registers can simply be run again
    assert reg.register("m", b2, sha2, author="dave")["version"] == 2
    assert main(["registry", "gc", *where]) == 0 and "removed 0 orphaned" in capsys.readouterr().out


def test_a_moved_registry_root_is_not_orphaned(tmp_path, bundle_factory):
    db, root = f"sqlite:///{tmp_path / 'r.db'}", tmp_path / "registry"
    reg = Registry(db, root, Policy())
    for seed in "ab":
        reg.register("m", *bundle_factory(seed), author="dave")
    moved = tmp_path / "elsewhere"
    shutil.copytree(root, moved)  # rows still name the old paths
    assert find_orphans(Registry(db, moved, Policy())) == []
    os.rename(moved / "m" / "v2", moved / "m" / "v9")
    assert [p.name for p in find_orphans(Registry(db, moved, Policy()))] == ["v9"]
