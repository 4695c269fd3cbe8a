"""``congkhai run``: the bot as a long-running process, until Ctrl-C or SIGTERM.

With a Telegram token it polls Telegram (or, with ``--webhook``, serves the
webhook from the aiohttp app). Without any messenger token it starts on the
embedded default: SQLite, the sample content, and the sandbox Bot API in the
same process, and says how to talk to it.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from aiohttp import web
from telegram.error import InvalidToken, NetworkError

from bot.channels.base import SendError

from bot.domain.texts import t
from bot.runtime import Runtime, RuntimeOptions, seed_embedded
from bot.sandbox import Sandbox
from bot.settings import Settings
from bot.web.app import DASHBOARD_PATH, TELEGRAM_WEBHOOK_PATH, TRY_PATH, ZALO_WEBHOOK_PATH, build_app


class StartError(Exception):
    """The bot could not start; ``str(error)`` is the Vietnamese reason."""


async def serve(settings: Settings, *, webhook: bool, sandbox_port: int, say: Callable[[str], None]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    sandbox: Sandbox | None = None
    token = base_url = None
    if not settings.has_messenger_token:
        sandbox = Sandbox()
        await sandbox.start(port=sandbox_port)
        token, base_url = sandbox.token, sandbox.telegram_base_url()
    runtime = Runtime(settings, telegram_token=token, telegram_base_url=base_url, options=RuntimeOptions(polling=not webhook))
    try:
        await runtime.start()
    except (InvalidToken, NetworkError, SendError) as error:
        # A wrong token or no way to reach the messenger: say so, never a traceback.
        await runtime.stop()
        if sandbox is not None:
            await sandbox.stop()
        raise StartError(t("run.cannot_start", reason=type(error).__name__)) from None
    if sandbox is not None:
        assert runtime.sessions is not None
        seed = await seed_embedded(runtime.sessions, runtime.clock, settings.timezone)
        await runtime.tick()
        say(t("run.embedded", db=settings.database_url, url=sandbox.url))
        for name, code in seed.invites:
            say(t("run.embedded_invite", name=name, code=code, url=sandbox.url))
        say(t("run.try_it", url=settings.dashboard_base_url + TRY_PATH))
        say(t("run.dashboard", url=settings.dashboard_base_url + DASHBOARD_PATH))
    runner = web.AppRunner(build_app(runtime, settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
                                     sandbox=sandbox))
    await runner.setup()
    site = web.TCPSite(runner, settings.web_host, settings.web_port)
    await site.start()
    if webhook and runtime.telegram is not None and settings.webhook_url and settings.webhook_secret:
        await runtime.telegram.bot.set_webhook(
            url=settings.webhook_url.rstrip("/") + TELEGRAM_WEBHOOK_PATH,
            secret_token=settings.webhook_secret.get_secret_value(),
        )
    if webhook and runtime.zalo is not None and settings.webhook_url and settings.webhook_secret:
        await runtime.zalo.client.set_webhook(  # Zalo wants a secret of 8-256 characters
            settings.webhook_url.rstrip("/") + ZALO_WEBHOOK_PATH, settings.webhook_secret.get_secret_value()
        )
    say(t("run.started", host=settings.web_host, port=settings.web_port,
          mode=t("run.mode.webhook") if webhook else t("run.mode.polling")))
    try:
        await stop.wait()
    finally:
        say(t("run.stopping"))
        await runner.cleanup()
        await runtime.stop()
        if sandbox is not None:
            await sandbox.stop()
        say(t("run.stopped"))
