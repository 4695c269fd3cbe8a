"""A text that is refused (too long, empty) leaves the person in the same step: the corrected
resend is taken, not answered with the help menu."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.db.models import Feedback
from bot.services.feedback import MAX_LENGTH
from tests.integration.harness import Harness, local, running_bot

MONDAY = dt.date(2026, 11, 23)
NAME = "Trần Thị Bình"


async def _say(bot: Harness, text: str) -> str:
    before = len(await bot.bot_messages(NAME))
    await bot.sandbox.send_text(bot.users[NAME].id, text)
    return "\n".join(m.text for m in (await bot.wait_bot_messages(NAME, before + 1))[before:])


async def test_a_comment_too_long_then_shortened_is_stored(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.register(NAME)
        await bot.runtime.tick()  # the window opens
        assert "Góp ý" in await _say(bot, "/gopy")
        refused = await _say(bot, "x" * (MAX_LENGTH + 1))
        assert str(MAX_LENGTH) in refused and "gửi tiếp" in refused
        thanks = await _say(bot, "Đề nghị làm rõ thời hạn trả lời.")
        assert "Cảm ơn" in thanks
        async with bot.sessions() as session:
            stored = (await session.scalars(select(Feedback.text))).all()
        assert stored == ["Đề nghị làm rõ thời hạn trả lời."]
