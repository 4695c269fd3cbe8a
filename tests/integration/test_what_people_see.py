"""What people see: with two documents open, each section says which one it belongs to;
progress at the end offers no "Đọc tiếp"; a union officer's announcement is signed for the
union; its results count the people who have not linked an account."""

from __future__ import annotations

import datetime as dt

from bot.runtime import SAMPLE_DOCUMENT
from bot.services import announcements as announcement_service
from tests.integration.harness import Harness, local, running_bot

MONDAY = dt.date(2026, 11, 23)
NAME = "Trần Thị Bình"
UNION = "Lê Văn Cường"


async def _say(bot: Harness, name: str, text: str, replies: int = 1) -> list:  # type: ignore[type-arg]
    before = len(await bot.bot_messages(name))
    await bot.sandbox.send_text(bot.users[name].id, text)
    return (await bot.wait_bot_messages(name, before + replies))[before:]


async def test_two_documents_open_each_section_names_its_document(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.create_campaign(await bot.import_document(SAMPLE_DOCUMENT), MONDAY)
        await bot.register(NAME)
        bot.clock.set(local(MONDAY, 11))
        await bot.run_until_idle()
        sections = [m for m in await bot.bot_messages(NAME) if any(b["text"] == "✅ Đã đọc" for b in m.buttons)]
        assert {m.text.split("›")[0].strip() for m in sections} == {"KẾ HOẠCH", "QUY CHẾ"}


async def test_progress_after_everything_offers_no_read_next(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.register(NAME)
        bot.clock.set(local(MONDAY + dt.timedelta(days=14), 11))
        await bot.send_all()
        assert await bot.confirm_all(NAME) == 6
        (progress,) = await _say(bot, NAME, "/tiendo")
        assert "6/6" in progress.text
        labels = [b["text"] for b in progress.buttons]
        assert "Đọc tiếp ▶" not in labels and "📑 Mục lục" in labels


async def test_union_announcement_is_signed_for_the_union_and_counts_the_unlinked(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.open_campaign(MONDAY)
        await bot.register(NAME)
        await bot.register(UNION)
        author = await bot.staff_id(UNION)
        async with bot.sessions() as session, session.begin():
            draft = await announcement_service.create_draft(session, author_id=author, text="Họp công đoàn.",
                                                            now=bot.clock.now(), require_ack=True)
            await announcement_service.send(session, draft, bot.clock.now())
        await bot.run_until_idle()
        received = (await bot.bot_messages(NAME))[-1]
        assert "Ban Chấp hành Công đoàn" in received.text and "Lê Văn Cường" in received.text
        (results,) = await _say(bot, UNION, "/thongbao_ketqua")
        assert "3 người chưa liên kết" in results.text  # five on the roster, two linked
