"""The bot's own HTTP server: messenger webhooks, health, the leadership dashboard
(:mod:`bot.web.dashboard`) and, on the embedded default, the try-it page
(:mod:`bot.web.tryit`).

A webhook call is checked (the secret header, compared in constant time, before
anything of the body is read), handed to the channel's update queue and answered at
once: Telegram retries slow or failed calls, and the database makes a redelivered
update harmless. Whatever else arrives is refused with a 4xx and never reaches the
chat layer: a wrong content type (415), a body that is not a JSON object (400, deep
nesting and huge numbers included), an object that is not an update (400). A 5xx
would make the messenger retry the same body, so none is ever answered to a body.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot.channels.zalo import parse_update as parse_zalo_update
from bot.runtime import Runtime
from bot.sandbox import Sandbox
from bot.web.dashboard import PREFIX as DASHBOARD_PATH  # noqa: F401 - the addresses serve prints
from bot.web.dashboard import DashboardDeps, add_dashboard_routes
from bot.web.tryit import TRY_PATH, add_tryit_routes  # noqa: F401

log = logging.getLogger(__name__)

TELEGRAM_WEBHOOK_PATH = "/webhook/telegram"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_WEBHOOK_PATH = "/webhook/zalo"
ZALO_SECRET_HEADER = "X-Bot-Api-Secret-Token"


class AccessLog(AbstractAccessLogger):
    """One line a request without the query string: a dashboard sign-in link carries its
    one-time token there, and secrets are never logged."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.3fs", request.method, request.path, response.status, time)


def build_app(runtime: Runtime, webhook_secret: str | None, *, sandbox: Sandbox | None = None) -> web.Application:
    """The bot's web app; ``sandbox``: the embedded default's, for the try-it page."""
    app = web.Application(client_max_size=1024 * 1024)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "channels": sorted(c.value for c in runtime.channels)})

    async def checked_body(request: web.Request, header: str) -> dict[str, Any]:
        """The JSON object of a webhook call whose secret header matches (constant-time);
        403 before the body is read, 415 for another content type, 400 for anything that is
        not one JSON object."""
        given = request.headers.get(header, "")
        # a header's bytes outside UTF-8 arrive as surrogates: compared as the same bytes, never raising
        if not webhook_secret or not hmac.compare_digest(
            given.encode("utf-8", "surrogateescape"), webhook_secret.encode("utf-8", "surrogateescape")
        ):
            raise web.HTTPForbidden()
        if request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType()
        data = json_object(await request.read())
        if data is None:
            raise web.HTTPBadRequest()
        return data

    async def telegram_webhook(request: web.Request) -> web.Response:
        if runtime.telegram is None:
            raise web.HTTPNotFound()
        data = await checked_body(request, TELEGRAM_SECRET_HEADER)
        if not runtime.telegram.accept(data):
            raise web.HTTPBadRequest()
        return web.json_response({"ok": True})

    async def zalo_webhook(request: web.Request) -> web.Response:
        if runtime.zalo is None:
            raise web.HTTPNotFound()
        data = await checked_body(request, ZALO_SECRET_HEADER)
        if parse_zalo_update(data) is None:
            raise web.HTTPBadRequest()
        runtime.zalo.accept(data)  # with or without the {ok, result} envelope; handled in the background
        return web.json_response({"ok": True})

    app.router.add_get("/health", health)
    app.router.add_post(TELEGRAM_WEBHOOK_PATH, telegram_webhook)
    app.router.add_post(ZALO_WEBHOOK_PATH, zalo_webhook)
    add_dashboard_routes(app, dashboard_deps(runtime))
    if sandbox is not None:
        assert runtime.sessions is not None
        add_tryit_routes(app, runtime.sessions, sandbox)
    return app


def json_object(raw: bytes) -> dict[str, Any] | None:
    """``raw`` as one JSON object, or None: malformed, not UTF-8 (RFC 8259 §8.1; no BOM,
    no UTF-16), not an object, NaN or
    Infinity, nesting deeper than the parser's recursion limit, an integer longer than
    Python converts (``sys.get_int_max_str_digits``), a lone surrogate (``"\\ud800"``, which
    no messenger sends and which no database column or reply could carry)."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError/EncodeError are ValueErrors
        return None
    return data if isinstance(data, dict) else None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def dashboard_deps(runtime: Runtime) -> DashboardDeps:
    """The dashboard's view of a started runtime."""
    assert runtime.sessions is not None, "start the runtime first"
    settings = runtime.settings

    def wake() -> None:
        if runtime.worker is not None:
            runtime.worker.wake()

    return DashboardDeps(sessions=runtime.sessions, clock=runtime.clock, settings=settings, wake=wake)
