"""The dashboard app (FastAPI): pages for people, `/api/...` JSON for scripts.

Everyone may read. Changing anything (approve, promote, rollback) is a POST that carries a key
(`X-MLBP-Key` header, `Authorization: Bearer`, or a `key` form field), and the actor recorded is
whoever holds it (mlbp.registry.keys): a personal key's holder, or `admin` for the shared admin
key, which acts only while the registry has no personal keys. A name typed beside a key is not
who acts: one that is not the holder's is refused. Without any key configured the dashboard is
read-only. The change itself goes through the Registry, so the promotion policy, the audit trail
and the notifications apply exactly as on the command line.
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoint annotations
# (`request: Request`, imported inside create_app) at definition time.
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from mlbp.engine.errors import MlbpError, Reason
from mlbp.registry.store import Registry
from mlbp.report.dashboard import outputs as found
from mlbp.report.model_card import card_data, render_card_html
from mlbp.report.render import render

ACTIONS = ("approve", "promote", "rollback")
HTML, JSON = {"text/html": {}}, {"application/json": {}}
# what a report file under outputs/ may be served as (FileResponse guesses by suffix)
FILE_TYPES = {t: {} for t in ("text/html", "application/json", "text/csv", "image/png", "text/markdown",
                              "text/plain")}


def declared(*codes: int, content: dict[str, Any] | None = None) -> dict[int | str, Any]:
    """OpenAPI `responses` for the error codes a route answers with, so the document says every
    code and content type a client can get (schemathesis checks it)."""
    why = {303: "done; back to the page", 400: "unreadable request", 403: "no key, or not allowed",
           404: "no such model, version or file", 409: "refused by the promotion policy",
           422: "a field is missing or wrong"}
    return {c: {"description": why[c], "content": content or JSON} for c in codes}


def _when(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) if t else ""


def registry_view(reg: Registry) -> list[dict[str, Any]]:
    """Every model with its aliases, versions (newest first) and alias history."""
    out = []
    for m in reg.models():
        aliases = reg.aliases(m["name"])
        held: dict[int, list[str]] = {}
        for a, v in aliases.items():
            held.setdefault(v, []).append(a)
        versions = []
        for v in reversed(reg.list_versions(m["name"])):
            info = v["info"] or {}
            sc = info.get("scorecard") or {}
            versions.append({"version": v["version"], "aliases": sorted(held.get(v["version"], [])),
                             "stack": info.get("stack"), "primary_metric": sc.get("primary_metric"),
                             "primary": sc.get("primary"), "blessed": sc.get("blessed"), "author": v["author"],
                             "created": _when(v["created"]), "status": v["status"],
                             "run_id": (info.get("lineage") or {}).get("run_id") or v["run_id"]})
        out.append({"name": m["name"], "aliases": aliases, "versions": versions,
                    "history": list(reversed(reg.history(m["name"])))})
    return out


def create_app(reg: Registry, default_model: str, outputs: str | Path, admin_key: str = "",
               card_config: dict[str, Any] | None = None, secrets: set[str] | None = None) -> Any:
    """The dashboard app. `secrets` (mlbp.engine.secrets.secret_values of the config): a file that
    holds one (written by an older mlbp, or by hand) is never served; the admin key always counts."""
    from fastapi import FastAPI, Request
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse

    root = Path(outputs)
    withheld = {v.encode() for v in (secrets or set()) | ({admin_key} if admin_key else set()) if v}
    app = FastAPI(title="mlbp dashboard", description="registry, sweeps, runs, model cards, monitoring, audit")
    def admin_enabled() -> bool:
        from mlbp.registry.keys import any_active

        return bool(admin_key) or any_active(reg)

    def presented(request: Any, form: dict[str, Any]) -> str:
        auth = request.headers.get("authorization", "")
        return (request.headers.get("x-mlbp-key") or request.headers.get("x-mlbp-admin-key")
                or (auth[7:].strip() if auth.lower().startswith("bearer ") else "")
                or str(form.get("key") or form.get("admin_key") or ""))

    def acting(key: str, claimed: str) -> str:
        """Who acts with `key` (raises NOT_ALLOWED): the shared admin key is `admin`, while the
        registry has no personal keys; a personal key is its holder."""
        from mlbp.registry.keys import any_active, identify

        if admin_key and key and hmac.compare_digest(key.encode(), admin_key.encode()):
            if any_active(reg):
                raise MlbpError("this registry gives each person a key; the shared admin key only posts alerts",
                                reason=Reason.NOT_ALLOWED, key="registry.ui.admin_key",
                                fix="send your own key (mlbp registry keys create <you>)")
            if claimed and claimed != "admin":
                raise MlbpError(f"the admin key acts as admin; it cannot act as {claimed}",
                                reason=Reason.NOT_ALLOWED, key="actor", expected="admin", got=claimed,
                                fix="give each person a key: mlbp registry keys create <name>")
            return "admin"
        if not key:
            raise MlbpError("a key is needed to change anything; the dashboard is read-only without one",
                            reason=Reason.NOT_ALLOWED, key="key",
                            fix="send your key in the X-MLBP-Key header (mlbp registry keys create <you>)")
        return identify(reg, key, claimed)

    def page(template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(render(f"dashboard/{template}", admin=admin_enabled(), model=default_model, when=_when,
                                   **ctx),
                            status_code=status)

    def error(exc: MlbpError, status: int) -> JSONResponse:
        return JSONResponse({"error": str(exc), **exc.to_dict()}, status_code=status)

    from starlette.exceptions import HTTPException as RoutingError

    @app.exception_handler(RoutingError)
    async def _routing_error(request: Request, exc: RoutingError) -> Any:
        """A path no route takes (one holding a line break, say): the page or JSON its family
        answers with, not Starlette's own JSON on a page route (schemathesis found it)."""
        message = "not found" if exc.status_code == 404 else str(exc.detail)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=exc.status_code)
        return page("message.html.j2", status=exc.status_code, title="Not found", message=message)

    @app.exception_handler(MlbpError)
    async def _mlbp_error(request: Request, exc: MlbpError) -> Any:
        status = 409 if exc.reason == Reason.POLICY else 404 if exc.reason == Reason.REGISTRY else 400
        if request.url.path.startswith("/api/"):
            return error(exc, status)
        return page("message.html.j2", status=status, title="Refused" if status == 409 else "Not found",
                    message=str(exc))

    @app.get("/", response_class=HTMLResponse)
    def home() -> Any:
        monitors = found.monitor_reports(root)
        return page("home.html.j2", models=registry_view(reg), runs=found.runs(root)[:10],
                    leaderboards=found.leaderboards(root)[:5], monitors=monitors[:5],
                    alerts=[a | {"report": m["dir"]} for m in monitors for a in m["alerts"]][:20],
                    audit=list(reversed(reg.audit.records()))[:15])

    @app.get("/models/{name}", response_class=HTMLResponse, responses=declared(400, 404, content=HTML))
    def model(name: str) -> Any:
        view = [m for m in registry_view(reg) if m["name"] == name]
        if not view:
            raise MlbpError(f"no model '{name}' in the registry", reason=Reason.REGISTRY, key="model")
        promotion = {}
        for v in view[0]["versions"][:5]:
            for alias in ("champion", "challenger"):
                promotion[(v["version"], alias)] = reg.promotion_status(name, v["version"], alias)
        return page("model.html.j2", m=view[0], promotion=promotion)

    @app.get("/models/{name}/v/{ref}", response_class=HTMLResponse, responses=declared(400, 404, content=HTML))
    def card(name: str, ref: str) -> Any:
        return HTMLResponse(render_card_html(reg, name, ref, card_config))

    @app.get("/leaderboards", response_class=HTMLResponse)
    def leaderboards() -> Any:
        return page("leaderboards.html.j2", boards=found.leaderboards(root))

    @app.get("/runs", response_class=HTMLResponse)
    def runs() -> Any:
        return page("runs.html.j2", runs=found.runs(root))

    @app.get("/monitoring", response_class=HTMLResponse)
    def monitoring() -> Any:
        return page("monitoring.html.j2", reports=found.monitor_reports(root))

    @app.get("/audit", response_class=HTMLResponse)
    def audit() -> Any:
        return page("audit.html.j2", records=list(reversed(reg.audit.records())), problems=reg.audit.verify())

    @app.get("/files/{rel:path}", responses={200: {"description": "a report file", "content": FILE_TYPES},
                                             **declared(403, 404, content=HTML)})
    def files(rel: str) -> Any:
        path = found.safe_file(root, rel)
        if path is None:
            return page("message.html.j2", status=404, title="Not found", message=f"no report at {rel}")
        if withheld and any(v in path.read_bytes() for v in withheld):
            return page("message.html.j2", status=403, title="Withheld",
                        message=f"{rel} holds a configured secret and is not served")
        return FileResponse(path)

    # ---- JSON for scripts --------------------------------------------------------------
    @app.get("/api/registry")
    def api_registry() -> Any:
        return JSONResponse(registry_view(reg))

    @app.get("/api/models/{name}/v/{ref}/card", responses=declared(400, 404))
    def api_card(name: str, ref: str) -> Any:
        return JSONResponse(card_data(reg, name, ref, card_config), media_type="application/json")

    @app.get("/api/audit")
    def api_audit() -> Any:
        return JSONResponse({"records": reg.audit.records(), "problems": reg.audit.verify()})

    @app.get("/api/outputs")
    def api_outputs() -> Any:
        return JSONResponse({"runs": found.runs(root), "leaderboards": found.leaderboards(root),
                             "monitoring": found.monitor_reports(root)})

    # ---- alerts in (the monitor's webhook sink) ------------------------------------------
    @app.post("/api/alerts", responses=declared(400, 403, 404, 409, 422))
    async def alert_in(request: Request) -> Any:
        """Receive a monitor alert (the monitor's Slack-compatible webhook: the alert rides under
        `mlbp`); roll back automatically when `registry.auto_rollback` enables it. The key comes in
        the header or as `?key=` (a webhook URL carries no headers)."""
        from mlbp.registry.keys import holder_of

        key = presented(request, {}) or request.query_params.get("key", "")
        shared = bool(admin_key and key) and hmac.compare_digest(key.encode(), admin_key.encode())
        if not shared and holder_of(reg, key) is None:
            return error(MlbpError("alerts need the admin key or a registry key", reason=Reason.NOT_ALLOWED,
                                   key="registry.ui.admin_key",
                                   fix="point the monitor's webhook at /api/alerts?key=<MLBP_ADMIN_KEY>"), 403)
        try:
            body = json.loads(await request.body() or b"{}")
        except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
            return error(MlbpError(f"unreadable alert: {exc}", reason=Reason.INPUT, key="body"), 400)
        alert = body.get("mlbp", body) if isinstance(body, dict) else None
        if not isinstance(alert, dict) or "severity" not in alert:
            return error(MlbpError("an alert needs a severity", reason=Reason.INPUT, key="severity",
                                   expected="info | warning | critical", got=None), 422)
        result = reg.on_alert(str(alert.get("model") or default_model), alert, via="dashboard /api/alerts")
        return JSONResponse({"received": True, "rollback": result})

    # ---- admin actions -----------------------------------------------------------------
    @app.post("/api/models/{name}/{action}", responses={**declared(400, 404, 409, 422),
                                                          **declared(303, 403, content={**JSON, **HTML})})
    async def act(name: str, action: str, request: Request) -> Any:
        wants_json = "application/json" in request.headers.get("content-type", "")
        body = await request.body()
        try:
            form: dict[str, Any] = (json.loads(body or b"{}") if wants_json else
                                    {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()})
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            return error(MlbpError(f"unreadable request body: {exc}", reason=Reason.INPUT, key="body",
                                   expected="JSON or a form"), 400)
        if not isinstance(form, dict):
            return error(MlbpError("the body must be an object", reason=Reason.INPUT, key="body"), 400)
        if action not in ACTIONS:
            return error(MlbpError("unknown action", key="action", expected=list(ACTIONS), got=action), 404)
        try:
            actor = acting(presented(request, form), str(form.get("actor") or ""))
        except MlbpError as denied:
            return error(denied, 403) if wants_json else page("message.html.j2", status=403, title="Not allowed",
                                                             message=str(denied))
        reason = str(form.get("reason") or "")
        alias = str(form.get("alias") or "champion")
        if action == "approve":
            v = reg.resolve(name, str(form.get("version")))
            result = reg.approve(name, v["version"], alias, actor, reason)
        elif action == "promote":
            result = reg.promote(name, str(form.get("version")), alias, actor, reason,
                                 str(form.get("acknowledge_contract", "")).lower() in ("1", "true", "on", "yes"))
        else:
            result = reg.rollback(name, alias, actor, reason)
        if wants_json:
            return JSONResponse(result)
        return RedirectResponse(f"/models/{name}", status_code=303)

    return app
