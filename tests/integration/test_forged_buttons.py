"""A client may send any callback data (Telegram's own warning). Every decoded action is
checked against the state before anything is stored; what is not ours gets a polite answer
and changes nothing. Over the sandbox Bot API, with ``check=False`` presses: data no button
shows, as a tampered client sends it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from bot.db.models import Ack, AnnouncementAck
from bot.services import announcements as announcement_service
from tests.integration.harness import Harness, local, running_bot

MONDAY = dt.date(2026, 11, 23)
NAME = "Trần Thị Bình"


async def forge(bot: Harness, name: str, data: str) -> Any:
    """Press ``data`` on the person's last message, whatever its buttons say."""
    message = (await bot.bot_messages(name))[-1]
    record = await bot.sandbox.press_button(bot.users[name].id, message.message_id, data, check=False)
    return await bot.sandbox.wait_for_answer(record.id)


async def count(bot: Harness, model: type) -> int:  # type: ignore[type-arg]
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count(model.id))) or 0)


async def test_forged_confirmations_change_nothing(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        campaign = await bot.open_campaign(MONDAY)
        await bot.register(NAME)
        bot.clock.advance(dt.timedelta(hours=4))  # the first morning's sections
        await bot.run_until_idle()
        confirmed = await bot.confirm_all(NAME)
        assert 0 < confirmed < 6
        acks = await count(bot, Ack)

        # the whole document "confirmed" after a few sections: refused
        answer = await forge(bot, NAME, f"attest:{campaign}")
        assert "mới xác nhận" in answer.answer_text
        # a section never sent to this person
        answer = await forge(bot, NAME, f"ack:{campaign}:6")
        assert "chưa được gửi" in answer.answer_text
        # another campaign, numbers out of range, a 30-digit id, garbage
        for data in (f"ack:{campaign + 1}:1", "ack:0:1", f"ack:{campaign}:99", "ack:1:" + "9" * 30, "ack:1",
                     "ack:1:2:3", "ack:x:1", "ack:-1:1", "fbv:" + "1" * 30, "toc:1:-5", "annaud:1:<b>", "zzz", ""):
            answer = await forge(bot, NAME, data)
            assert answer.answered and answer.answer_text, data
        assert await count(bot, Ack) == acks


async def test_received_for_an_announcement_that_asked_nothing_is_refused(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.register(NAME)
        author = await bot.staff_id("Lê Văn Cường")
        async with bot.sessions() as session, session.begin():
            quiet = await announcement_service.create_draft(session, author_id=author, text="Không cần xác nhận.",
                                                            now=bot.clock.now())
            await announcement_service.send(session, quiet, bot.clock.now())
            asking = await announcement_service.create_draft(session, author_id=author, text="Cần xác nhận.",
                                                             now=bot.clock.now(), require_ack=True)
            quiet_id, asking_id = quiet.id, asking.id
        await bot.run_until_idle()
        answer = await forge(bot, NAME, f"annack:{quiet_id}")  # asked for no "Đã nhận"
        assert answer.answer_text
        answer = await forge(bot, NAME, f"annack:{asking_id}")  # never sent (still a draft)
        assert answer.answer_text
        assert await count(bot, AnnouncementAck) == 0

        async with bot.sessions() as session, session.begin():
            asking = await announcement_service.load(session, asking_id)
            assert asking is not None
            await announcement_service.send(session, asking, bot.clock.now())
        await bot.run_until_idle()
        answer = await forge(bot, NAME, f"annack:{asking_id}")  # sent, and it asked: stored
        assert await count(bot, AnnouncementAck) == 1
