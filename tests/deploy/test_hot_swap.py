"""Hot swap: the alias moves, the server loads the new version beside the old one and switches
while requests keep coming: zero failures, and /v2/models/{name} reports the new version."""

from __future__ import annotations

import threading
import time

from mlbp.deploy.rest.app import ServeOptions, Server
from mlbp.deploy.rest.variants import Source, Variants
from mlbp.registry.store import Registry

from .conftest import running


def two_versions(example, tmp_path):
    """A private registry (the session's stays at v1) with v1 as champion, v2 registered, and a
    variant that follows the champion alias."""
    import shutil

    root = tmp_path / "registry"
    db = f"sqlite:///{tmp_path}/reg.db"
    reg = Registry(db, root)
    v1 = reg.register("restaurant-offers", example["bundle"], "sha-one")
    reg.set_alias("restaurant-offers", "champion", v1["version"])
    shutil.copytree(example["bundle"], tmp_path / "bundle2")
    v2 = reg.register("restaurant-offers", tmp_path / "bundle2", "sha-two")
    variants = Variants({"champion": Source(db=db, root=str(root), model="restaurant-offers", ref="champion")})
    return reg, root, v2, variants


def test_alias_move_swaps_without_dropping_a_request(example, good_row, tmp_path):
    reg, root, v2, variants = two_versions(example, tmp_path)
    server = Server(variants, ServeOptions(poll_seconds=0.2))
    statuses: list[int] = []
    versions: set[str] = set()
    stop = threading.Event()
    with running(server) as s:
        def hammer():
            with s.client() as c:
                while not stop.is_set():
                    r = c.post("/predict", json=good_row)
                    statuses.append(r.status_code)
                    if r.status_code == 200:
                        versions.add(str(r.json()["version"]))

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        with s.client() as c:
            assert c.get("/v2/models/restaurant-offers").json()["versions"] == ["1"]
            reg.set_alias("restaurant-offers", "champion", v2["version"])
            deadline = time.monotonic() + 20
            while c.get("/v2/models/restaurant-offers").json()["versions"] != ["2"]:
                assert time.monotonic() < deadline, "the server never swapped"
                time.sleep(0.1)
            time.sleep(0.3)
            health = c.get("/health").json()
        stop.set()
        for t in threads:
            t.join()
    assert statuses and all(code == 200 for code in statuses), sorted(set(statuses))
    assert versions == {"1", "2"}
    assert health["variants"]["champion"]["swaps"] == 1


def test_a_broken_new_version_keeps_the_old_one_serving(example, good_row, tmp_path):
    reg, root, v2, variants = two_versions(example, tmp_path)
    (root / "restaurant-offers" / "v2" / "model.joblib").write_bytes(b"tampered")
    with running(Server(variants, ServeOptions(poll_seconds=0))) as s, s.client() as c:
        reg.set_alias("restaurant-offers", "champion", v2["version"])
        assert c.post("/admin/reload").json()["changed"] == []
        health = c.get("/health").json()["variants"]["champion"]
        assert health["version"] == 1 and "sha256 mismatch" in health["last_error"]
        assert c.post("/predict", json=good_row).status_code == 200
