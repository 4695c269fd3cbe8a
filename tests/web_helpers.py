"""The bot's web app (dashboard, try-it page) served on a free port beside a running
bot, and small helpers to sign in the way a person does: ``/dashboard`` in chat."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from bot.web.app import AccessLog, build_app
from tests.integration.harness import Harness


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(bot: Harness, **options: Any) -> AsyncIterator[str]:
    """Serve the bot's web app; yields its base URL."""
    runner = web.AppRunner(build_app(bot.runtime, None, **options), access_log_class=AccessLog)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


_LINK = re.compile(r"https?://\S+/dashboard/login\?t=[A-Za-z0-9_\-]+")


async def ask_for_link(bot: Harness, name: str) -> str:
    """``/dashboard`` in the person's chat; returns the bot's answer."""
    count = len(await bot.bot_messages(name))
    await bot.sandbox.send_text(bot.users[name].id, "/dashboard")
    return str((await bot.wait_bot_messages(name, count + 1))[-1].text)


def link_token(answer: str) -> str:
    match = _LINK.search(answer)
    assert match is not None, answer
    return parse_qs(urlsplit(match.group(0)).query)["t"][0]
