"""Telegram tells the bot when a person blocks it (``my_chat_member``): the identity is
unreachable at once, and when they allow the bot again, what is still owed goes out."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from bot.db.models import ChannelIdentity, Delivery
from bot.domain.enums import DeliveryKind, DeliveryStatus
from tests.integration.harness import Harness, local, running_bot

MONDAY = dt.date(2026, 11, 23)
NAME = "Trần Thị Bình"


async def _reachable(bot: Harness) -> bool:
    async with bot.sessions() as session:
        return bool(await session.scalar(select(ChannelIdentity.reachable)))


async def _until(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.05)):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_blocked_then_unblocked_gets_what_is_owed(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        user = await bot.register(NAME)
        await bot.sandbox.block(user.id)

        async def unreachable() -> bool:
            return not await _reachable(bot)

        await _until(unreachable)  # at once, before any send has failed
        bot.clock.set(local(MONDAY, 11))
        await bot.run_until_idle()
        async with bot.sessions() as session:
            sent = (await session.scalars(select(Delivery.id).where(Delivery.status == DeliveryStatus.SENT,
                                                                     Delivery.kind == DeliveryKind.SECTION))).all()
        assert sent == []
        before = len(await bot.bot_messages(NAME))

        await bot.sandbox.unblock(user.id)
        await _until(lambda: _reachable(bot))
        await bot.run_until_idle()
        assert len(await bot.bot_messages(NAME)) > before  # the morning's sections arrive now
