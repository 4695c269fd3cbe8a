"""The whole bot with both channels (Telegram and Zalo) on a fake clock, against the sandbox over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.runtime import Runtime, RuntimeOptions
from bot.sandbox import Sandbox, VirtualUser
from bot.services.clock import FakeClock
from bot.settings import load_settings
from tests.integration.harness import Harness

HINT = "Trả lời: 1 = Đã đọc · tiếp · mục lục · góp ý …"


@dataclass
class ZaloHarness(Harness):
    zalo_users: dict[str, VirtualUser] = field(default_factory=dict)

    async def register_zalo(self, name: str) -> VirtualUser:
        """The person sends their invite code to the Zalo bot, and the bot answers."""
        user = await self.sandbox.create_user(first_name=name.split()[-1], channel="zalo")
        self.zalo_users[name] = user
        await self.sandbox.send_text(user.id, self.codes[name])
        await self.sandbox.wait_for_messages(user.id, 1)
        await self.quiet(name)
        return user

    async def quiet(self, name: str, seconds: float = 0.15) -> None:
        """Wait until the bot has stopped writing to the person (a reply may be several messages)."""
        user_id = self.zalo_users[name].id
        count = -1
        while count != len(await self.sandbox.read_chat(user_id)):
            count = len(await self.sandbox.read_chat(user_id))
            await asyncio.sleep(seconds)

    async def zalo_messages(self, name: str) -> list[Any]:
        return await self.sandbox.read_chat(self.zalo_users[name].id)

    async def say(self, name: str, text: str, replies: int = 1, timeout: float = 5.0) -> list[Any]:
        """The person types ``text`` on Zalo; returns the bot's ``replies`` new messages."""
        user = self.zalo_users[name]
        before = len(await self.sandbox.read_chat(user.id))
        await self.sandbox.send_text(user.id, text)
        chat = await self.sandbox.wait_for_messages(user.id, before + replies, timeout=timeout)
        return chat[before:]


@asynccontextmanager
async def running_zalo_bot(
    db_url: str, start: dt.datetime, *, polling: bool = True, telegram: bool = True, **knobs: Any
) -> AsyncIterator[ZaloHarness]:
    clock = FakeClock(start)
    knobs.setdefault("rate_limits", False)
    async with Sandbox(**knobs) as sandbox:
        runtime = new_zalo_runtime(db_url, sandbox, clock, polling=polling, telegram=telegram)
        harness = ZaloHarness(runtime, sandbox, clock)
        await runtime.start()
        try:
            yield harness
        finally:
            await harness.runtime.stop()


def new_zalo_runtime(db_url: str, sandbox: Sandbox, clock: FakeClock, *, polling: bool = True, telegram: bool = True) -> Runtime:
    return Runtime(
        load_settings(database_url=db_url, zalo_token=None, telegram_token=None, chat_send_rate=0),
        clock=clock,
        telegram_token=sandbox.token if telegram else None,
        telegram_base_url=sandbox.telegram_base_url() if telegram else None,
        zalo_token=sandbox.zalo.token,
        zalo_base_url=sandbox.zalo_base_url(),
        options=RuntimeOptions(polling=polling, run_worker=False, run_scheduler=False, migrate=False),
    )
