"""The bot's own HTTP server: messenger webhooks, health, the leadership dashboard
(:mod:`bot.web.dashboard`) and, on the embedded default, the try-it page
(:mod:`bot.web.tryit`).

A webhook call is checked (the secret header, compared in constant time),
handed to the channel's update queue and answered at once: Telegram retries
slow or failed calls, and the database makes a redelivered update harmless.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from telegram import Update

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

    async def checked_body(request: web.Request, header: str) -> Any:
        """The JSON of a webhook call whose secret header matches (constant-time), else 403/400."""
        given = request.headers.get(header, "")
        if not webhook_secret or not hmac.compare_digest(given.encode(), webhook_secret.encode()):
            raise web.HTTPForbidden()
        try:
            return await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPBadRequest() from None

    async def telegram_webhook(request: web.Request) -> web.Response:
        if runtime.telegram is None:
            raise web.HTTPNotFound()
        data = await checked_body(request, TELEGRAM_SECRET_HEADER)
        application = runtime.telegram.application
        update = Update.de_json(data, application.bot)
        if update is not None:
            await application.update_queue.put(update)
        return web.json_response({"ok": True})

    async def zalo_webhook(request: web.Request) -> web.Response:
        if runtime.zalo is None:
            raise web.HTTPNotFound()
        data = await checked_body(request, ZALO_SECRET_HEADER)
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


def dashboard_deps(runtime: Runtime) -> DashboardDeps:
    """The dashboard's view of a started runtime."""
    assert runtime.sessions is not None, "start the runtime first"
    settings = runtime.settings

    def wake() -> None:
        if runtime.worker is not None:
            runtime.worker.wake()

    return DashboardDeps(sessions=runtime.sessions, clock=runtime.clock, settings=settings, wake=wake)
