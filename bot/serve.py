"""``congkhai run``: the bot as a long-running process, until Ctrl-C or SIGTERM.

With a Telegram token it polls Telegram (or, with ``--webhook``, serves the
webhook from the aiohttp app). Without any messenger token it starts on the
embedded default: SQLite, the sample content, and the sandbox Bot API in the
same process, and says how to talk to it.

Failing to start is one Vietnamese line with the reason and what to do (a port in
use, a database that can't be opened, a wrong token), never a traceback, and
everything already started is closed again. A stop signal always ends the process:
during the start it cancels the start; afterwards the shutdown gets ``GRACE_SECONDS``,
and a second signal, or a shutdown that overruns, ends the process at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Callable

from aiohttp import web
from sqlalchemy import make_url, text
from sqlalchemy.exc import SQLAlchemyError
from telegram.error import InvalidToken, NetworkError

from bot.db.engine import create_engine, is_sqlite
from bot.db.migrate import current_revision, head_revision
from bot.domain.enums import Channel
from bot.domain.texts import t
from bot.outbox.protocol import SendError
from bot.runtime import Runtime, RuntimeOptions, TokensRefused, seed_embedded
from bot.sandbox import Sandbox
from bot.settings import Settings
from bot.web.app import (
    DASHBOARD_PATH,
    TELEGRAM_WEBHOOK_PATH,
    TRY_PATH,
    ZALO_WEBHOOK_PATH,
    AccessLog,
    build_app,
)

log = logging.getLogger(__name__)

GRACE_SECONDS = 10.0


class StartError(Exception):
    """The bot could not start; ``str(error)`` is the Vietnamese reason."""


MESSENGERS = {Channel.TELEGRAM: ("Telegram", "CONGKHAI_TELEGRAM_TOKEN"), Channel.ZALO: ("Zalo", "CONGKHAI_ZALO_TOKEN")}


def refused(channels: list[Channel]) -> str:
    """One line naming each messenger that refused its token, and the setting to fix."""
    names = [MESSENGERS[c][0] for c in channels]
    variables = [MESSENGERS[c][1] for c in channels]
    joined = t("run.token_refused.and")
    return t("run.token_refused", names=joined.join(names), variables=joined.join(variables))


def _force_exit(say: Callable[[str], None]) -> None:
    with contextlib.suppress(Exception):
        say(t("run.fail.forced", seconds=int(GRACE_SECONDS)))
        sys.stdout.flush()
    os._exit(1)


async def check_database(url: str) -> None:
    """Open the database once before anything else starts: a path that can't be written,
    a server that does not answer or a schema that is not current is said plainly."""
    if is_sqlite(url):
        # With Python's own sqlite3: aiosqlite's worker thread outlives a failed open and would
        # print a traceback once the event loop has closed.
        try:
            await asyncio.to_thread(_open_sqlite, make_url(url).database or "")
        except sqlite3.Error as error:
            raise StartError(t("run.fail.db", reason=_short(error))) from None
        return
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        if await current_revision(engine) != head_revision():
            raise StartError(t("run.fail.db_schema"))
    except (SQLAlchemyError, OSError) as error:
        raise StartError(t("run.fail.db", reason=_short(error))) from None
    finally:
        await engine.dispose()


def _open_sqlite(path: str) -> None:
    if path in ("", ":memory:"):
        return
    connection = sqlite3.connect(path)
    try:
        connection.execute("SELECT 1")
    finally:
        connection.close()


def _short(error: BaseException) -> str:
    """The first line of the driver's message, without the SQL or a password."""
    original = getattr(error, "orig", None) or error
    return (str(original).splitlines() or [type(original).__name__])[0][:200]


async def serve(settings: Settings, *, webhook: bool, sandbox_port: int, say: Callable[[str], None]) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    main = asyncio.current_task()
    running = False

    def on_signal() -> None:
        if stop.is_set():  # a second Ctrl-C or SIGTERM: do not wait any longer
            _force_exit(say)
        stop.set()
        loop.call_later(GRACE_SECONDS, _force_exit, say)
        if not running and main is not None:
            main.cancel()  # still starting: stop starting

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)

    sandbox: Sandbox | None = None
    runtime: Runtime | None = None
    runner: web.AppRunner | None = None
    try:
        await check_database(settings.database_url)
        token = base_url = None
        if not settings.has_messenger_token:
            sandbox = Sandbox()
            try:
                await sandbox.start(port=sandbox_port)
            except OSError:
                sandbox = None
                raise StartError(t("run.fail.sandbox_port", port=sandbox_port)) from None
            token, base_url = sandbox.token, sandbox.telegram_base_url()
        runtime = Runtime(settings, telegram_token=token, telegram_base_url=base_url,
                          options=RuntimeOptions(polling=not webhook, check_tokens=True))
        try:
            await runtime.start()
        except TokensRefused as error:
            raise StartError(refused(error.channels)) from None
        except InvalidToken:
            raise StartError(t("run.fail.token")) from None
        except (NetworkError, SendError) as error:
            # No way to reach the messenger: say so, never a traceback.
            raise StartError(t("run.cannot_start", reason=type(error).__name__)) from None
        except (SQLAlchemyError, OSError) as error:
            raise StartError(t("run.fail.db", reason=_short(error))) from None
        if sandbox is not None:
            assert runtime.sessions is not None
            seed = await seed_embedded(runtime.sessions, runtime.clock, settings.timezone)
            await runtime.tick()
            say(t("run.embedded", db=settings.database_url, url=sandbox.url))
            for name, code in seed.invites:
                say(t("run.embedded_invite", name=name, code=code, url=sandbox.url))
            say(t("run.try_it", url=settings.dashboard_base_url + TRY_PATH))
            say(t("run.dashboard", url=settings.dashboard_base_url + DASHBOARD_PATH))
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        runner = web.AppRunner(build_app(runtime, secret, sandbox=sandbox), access_log_class=AccessLog)
        await runner.setup()
        try:
            await web.TCPSite(runner, settings.web_host, settings.web_port).start()
        except OSError as error:
            key = "run.fail.port" if error.errno == errno.EADDRINUSE else "run.fail.port_other"
            raise StartError(t(key, host=settings.web_host, port=settings.web_port, reason=_short(error))) from None
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
        running = True
        await stop.wait()
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
    finally:
        if running or stop.is_set():
            say(t("run.stopping"))
        await _close(runner, runtime, sandbox)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    say(t("run.stopped"))


async def _close(runner: web.AppRunner | None, runtime: Runtime | None, sandbox: Sandbox | None) -> None:
    """Close what was started, each part on its own, so one failing part does not keep the
    others (or the database) open."""
    if runner is not None:
        with contextlib.suppress(Exception):
            await runner.cleanup()
    if runtime is not None:
        try:
            await runtime.stop()
        except Exception:
            log.warning("the bot did not stop cleanly", exc_info=True)
    if sandbox is not None:
        with contextlib.suppress(Exception):
            await sandbox.stop()
