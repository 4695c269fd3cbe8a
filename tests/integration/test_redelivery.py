"""A Telegram update delivered twice (a webhook retried, a restart before the offset was saved)
has one effect: the chat layer records the update's id with what it did."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from telegram import Update

from bot.db.models import Feedback
from tests.integration.harness import local, running_bot

MONDAY = dt.date(2026, 11, 23)
NAME = "Trần Thị Bình"


async def test_a_comment_delivered_twice_is_stored_once(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        user = await bot.register(NAME)
        await bot.runtime.tick()
        before = len(await bot.bot_messages(NAME))
        await bot.sandbox.send_text(user.id, "/gopy")
        await bot.wait_bot_messages(NAME, before + 1)

        dialect = bot.sandbox._dialect(user)
        message = bot.sandbox.state.add_user_message(dialect._user_chat(user), text="Đề nghị bổ sung thời hạn.")
        update = dialect.enqueue("message", dialect.message_json(message))
        assert update is not None
        await bot.wait_bot_messages(NAME, before + 2)
        telegram = bot.runtime.telegram
        assert telegram is not None
        await telegram.application.process_update(Update.de_json(update, telegram.application.bot))
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Feedback.id))) == 1
        assert len(await bot.bot_messages(NAME)) == before + 2  # and it is not answered again
