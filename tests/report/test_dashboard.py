"""`mlbp ui` on a real uvicorn server on 127.0.0.1: every page renders with data, admin actions
need the key and go through the policy, and a real headless Chromium sees the registry."""

from __future__ import annotations

import io
import json
import shutil

import httpx
import pytest

from mlbp.report.dashboard.app import create_app
from tests.asgi_server import served

KEY = "s3cret-admin-key"


@pytest.fixture
def server(registry, outputs):
    with served(create_app(registry, "shop", outputs, admin_key=KEY)) as base:
        yield base


def test_every_page_renders_with_data(server):
    with httpx.Client(base_url=server, timeout=10) as c:
        home = c.get("/").text
        assert home.count('class="version-row"') == 3 and "latency alert" in home
        assert "error rate 12% &gt; 5%" in home  # monitoring alerts on the front page
        board = c.get("/leaderboards").text
        assert "1_stack=logistic" in board and "0.6900" in board and "profit_curve" not in board
        runs = c.get("/runs").text
        assert "20261127-100000-abc123" in runs and "/files/2026-11-27/10-00-00/report.html" in runs
        assert "Run report shop" in c.get("/files/2026-11-27/10-00-00/report.html").text
        assert "amount drifted" in c.get("/monitoring").text
        audit = c.get("/audit").text
        assert "Hash chain intact" in audit and audit.count('class="audit-row"') == 8
        card = c.get("/models/shop/v/2").text
        assert "Model card · shop v2" in card and "better auc" in card
        model = c.get("/models/shop").text
        assert "Admin actions" in model and "ready" in model
        assert c.get("/files/../../etc/passwd").status_code == 404
        assert c.get("/models/shop/v/9").status_code == 404
        api = c.get("/api/registry").json()
        assert api[0]["aliases"] == {"champion": 1} and len(api[0]["versions"]) == 3


def test_admin_actions_need_the_key_and_follow_the_policy(server, registry):
    """The shared admin key (no personal keys yet) acts as `admin`, never as a name typed beside it."""
    with httpx.Client(base_url=server, timeout=10) as c:
        body = {"version": "3", "alias": "champion"}
        assert c.post("/api/models/shop/promote", json=body).status_code == 403
        assert c.post("/api/models/shop/promote", json=body, headers={"X-MLBP-Admin-Key": "wrong"}).status_code == 403
        posing = c.post("/api/models/shop/promote", json={**body, "actor": "bob"}, headers={"X-MLBP-Admin-Key": KEY})
        assert posing.status_code == 403 and "cannot act as bob" in posing.json()["error"]
        refused = c.post("/api/models/shop/promote", json=body, headers={"X-MLBP-Admin-Key": KEY})
        assert refused.status_code == 409 and "approvals: 0 of 1" in refused.json()["error"]
        ok = c.post("/api/models/shop/approve", json=body, headers={"X-MLBP-Admin-Key": KEY})
        assert ok.status_code == 200 and ok.json()["new"] is True and ok.json()["actor"] == "admin"
        moved = c.post("/api/models/shop/promote", json=body, headers={"Authorization": f"Bearer {KEY}"})
        assert moved.json() == {"model": "shop", "alias": "champion", "before": 1, "after": 3, "moved": True}
        form = c.post("/api/models/shop/rollback", data={"alias": "champion", "reason": "oops", "key": KEY})
        assert form.status_code == 303
    assert registry.aliases("shop") == {"champion": 1}
    assert registry.audit.records()[-1]["actor"] == "admin" and registry.audit.records()[-1]["reason"] == "oops"


def test_read_only_without_a_configured_key(registry, outputs):
    with served(create_app(registry, "shop", outputs)) as base, httpx.Client(base_url=base, timeout=10) as c:
        assert "Admin actions" not in c.get("/models/shop").text
        r = c.post("/api/models/shop/rollback", json={"alias": "champion", "actor": "x"},
                   headers={"X-MLBP-Admin-Key": ""})
        assert r.status_code == 403 and "read-only" in r.json()["error"]


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.mark.skipif(_chromium() is None, reason="no chromium + chromedriver on PATH "
                    "(CI installs Debian's chromium and chromium-driver in .ci/services.sh)")
def test_a_real_browser_sees_the_registry(server, tmp_path):
    from PIL import Image
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    browser, driver_path = _chromium()
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1280,1600", f"--user-data-dir={tmp_path / 'chrome-profile'}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
    try:
        driver.set_page_load_timeout(30)
        shots = {}
        for path, selector, expected in (("/", "tr.version-row", 3), ("/audit", "tr.audit-row", 8),
                                         ("/leaderboards", "tr.leaderboard-row", 2),
                                         ("/monitoring", "tr.alert-row", 2), ("/runs", "tr.run-row", 1)):
            driver.get(server + path)
            rows = driver.find_elements(By.CSS_SELECTOR, selector)
            assert len(rows) == expected, f"{path}: {len(rows)} rows of {selector}"
            shots[path] = driver.get_screenshot_as_png()
        cells = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "tr.run-row td")]
        assert "20261127-100000-abc123" in cells
        driver.get(server + "/")
        first = driver.find_elements(By.CSS_SELECTOR, "tr.version-row")[-1].text
        assert first.startswith("v1 champion lightgbm")
        driver.find_element(By.LINK_TEXT, "shop").click()
        assert "Alias history" in driver.page_source
        driver.get(server + "/models/shop/v/2")
        assert driver.find_element(By.CSS_SELECTOR, "#history table").text.count("champion") == 2
        for path, png in shots.items():
            img = Image.open(io.BytesIO(png)).convert("L")
            assert img.size[0] >= 800 and img.size[1] >= 600
            lo, hi = img.getextrema()
            dark = sum(img.histogram()[:100]) / (img.size[0] * img.size[1])
            assert hi - lo > 100 and dark > 0.005, f"{path}: the screenshot looks blank"
        (tmp_path / "home.png").write_bytes(shots["/"])
    finally:
        driver.quit()


def test_outputs_of_any_shape_become_tables(tmp_path):
    import json

    from mlbp.report.dashboard.outputs import leaderboards

    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "leaderboard.json").write_text(json.dumps([{"model": "a", "metrics": {"auc": 0.7}}]))
    board = leaderboards(tmp_path)[0]
    assert board["rows"] == [{"model": "a", "metrics.auc": 0.7}] and board["columns"] == ["model", "metrics.auc"]


def test_a_monitor_webhook_alert_rolls_back_only_when_the_policy_enables_it(registry, outputs):
    from mlbp.registry.policy import Policy
    from mlbp.registry.store import Registry

    for enabled, before in ((False, 1), (True, 3)):
        reg = Registry(registry.url, registry.root, Policy.from_config(
            {}, auto_rollback={"enabled": enabled, "alias": "champion", "severities": ["critical"]}))
        if enabled:
            reg.set_alias("shop", "champion", 3, actor="alice", reason="release 3")
        assert reg.aliases("shop")["champion"] == before
        with served(create_app(reg, "shop", outputs, admin_key=KEY)) as base:
            url = f"{base}/api/alerts"
            # the monitor's WebhookSink payload: Slack text/blocks, the alert itself under "mlbp"
            alert = {"text": ":rotating_light: *CRITICAL* error rate 12%", "blocks": [],
                     "mlbp": {"severity": "critical", "message": "error rate 12%", "model": "shop", "rule": "errors"}}
            assert httpx.post(url, json=alert).status_code == 403
            r = httpx.post(f"{url}?key={KEY}", json=alert)
            assert r.status_code == 200
            assert (r.json()["rollback"] is not None) is enabled
            assert reg.aliases("shop")["champion"] == 1  # enabled: v3 rolled back to v1; disabled: untouched
    last = registry.audit.records()[-1]
    assert (last["kind"], last["actor"]) == ("auto_rollback", "monitor") and "error rate 12%" in last["reason"]


def test_a_file_holding_a_secret_is_never_served(registry, outputs):
    """A run.json written before redaction (or by hand) that holds the admin key or another
    configured secret is withheld with 403; other files are served as before."""
    from fastapi.testclient import TestClient

    old = outputs / "2026-11-27" / "10-00-00" / "old-run.json"
    old.write_text(json.dumps({"config": {"registry": {"ui": {"admin_key": KEY}}}}))
    token = outputs / "2026-11-27" / "10-00-00" / "token.txt"
    token.write_text("webhook TOKEN-0123456789")
    with TestClient(create_app(registry, "shop", outputs, admin_key=KEY, secrets={"TOKEN-0123456789"})) as c:
        assert c.get("/files/2026-11-27/10-00-00/old-run.json").status_code == 403
        r = c.get("/files/2026-11-27/10-00-00/token.txt")
        assert r.status_code == 403 and "TOKEN-0123456789" not in r.text
        assert c.get("/files/2026-11-27/10-00-00/report.html").status_code == 200
