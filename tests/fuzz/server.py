"""The real bot behind its real aiohttp app, on an event loop of its own thread, so that a
synchronous hypothesis property can post bodies to it over HTTP and read the database
between two examples. Used by the fuzz tests and by ``bench/fuzz.py``."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import http.client
import logging
import socket
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select

from bot.db.models import Base
from bot.runtime import Runtime, RuntimeOptions
from bot.sandbox import Sandbox
from bot.services.clock import FakeClock
from bot.settings import load_settings
from bot.web.app import build_app

SECRET = "fuzz-Webhook_secret-0123456789"
START = dt.datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).astimezone(dt.UTC)
ROSTER = [
    ["Họ và tên", "Đơn vị", "Số điện thoại", "Vai trò"],
    ["Nguyễn Văn An", "Ban Giám đốc", "0912000001", "lãnh đạo"],
    ["Trần Thị Bình", "Văn phòng", "0912000002", ""],
]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Errors(logging.Handler):
    """Errors the channels log while handling an update in the background (a handler that raised)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


HANDLER_LOGGERS = ("bot.channels.telegram", "bot.channels.zalo", "telegram.ext.Application")


class WebhookServer:
    """``with WebhookServer(url) as server: server.post(path, body, headers)``: both channels
    on webhooks (no polling), a small roster with invite codes, the sandbox to answer to."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-server", daemon=True)
        self.port = free_port()
        self.runtime: Runtime | None = None
        self._sandbox: Sandbox | None = None
        self._runner: web.AppRunner | None = None
        self.errors = _Errors()

    def __enter__(self) -> WebhookServer:
        for name in HANDLER_LOGGERS:
            logging.getLogger(name).addHandler(self.errors)
        self.thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        for name in HANDLER_LOGGERS:
            logging.getLogger(name).removeHandler(self.errors)
        try:
            self.run(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _start(self) -> None:
        from bot.domain.roster import parse_table
        from bot.services import roster

        self._sandbox = Sandbox(rate_limits=False)
        await self._sandbox.__aenter__()
        sandbox = self._sandbox
        self.runtime = Runtime(
            load_settings(database_url=self.db_url, zalo_token=None, telegram_token=None, chat_send_rate=0),
            clock=FakeClock(START), telegram_token=sandbox.token, telegram_base_url=sandbox.telegram_base_url(),
            zalo_token=sandbox.zalo.token, zalo_base_url=sandbox.zalo_base_url(),
            options=RuntimeOptions(polling=False, run_worker=False, run_scheduler=False, migrate=False),
        )
        await self.runtime.start()
        assert self.runtime.sessions is not None
        async with self.runtime.sessions() as session, session.begin():
            await roster.import_roster(session, parse_table(ROSTER), START)
            await roster.issue_invites(session, START)
        self._runner = web.AppRunner(build_app(self.runtime, SECRET))
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self.runtime is not None:
            await self.runtime.stop()
        if self._sandbox is not None:
            await self._sandbox.__aexit__(None, None, None)

    # --- what a property does ----------------------------------------------------------------

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        """POST ``body`` over a fresh connection; the status code."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def settle(self) -> None:
        """Wait until every update taken has been handled."""
        self.run(self._settle())

    async def _settle(self) -> None:
        assert self.runtime is not None
        if self.runtime.telegram is not None:
            await self.runtime.telegram.settled()
        if self.runtime.zalo is not None:
            while self.runtime.zalo._tasks:
                await asyncio.gather(*list(self.runtime.zalo._tasks), return_exceptions=True)

    def snapshot(self) -> str:
        """A digest of every row of every table."""
        return self.run(self._snapshot())

    async def _snapshot(self) -> str:
        assert self.runtime is not None and self.runtime.sessions is not None
        digest = hashlib.sha256()
        async with self.runtime.sessions() as session:
            for table in Base.metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                rows = (await session.execute(select(table).order_by(*order))).all()
                digest.update(f"{table.name}:{len(rows)}:{rows!r}\n".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()
