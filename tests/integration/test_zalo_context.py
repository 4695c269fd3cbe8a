"""On Zalo a typed word means what the person was shown last: a number after the contents opens
that item; "1" or "đã đọc" after a section confirms that very section; "điều N" is the article
labelled N, never the N-th item."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy import select

from bot.db.models import Ack, Delivery
from bot.domain.enums import DeliveryKind, DeliveryStatus
from bot.runtime import SAMPLE_DOCUMENT
from tests.integration.harness import local
from tests.integration.harness_zalo import ZaloHarness, running_zalo_bot

MONDAY = dt.date(2026, 11, 23)
WITH_PREAMBLE = Path(__file__).resolve().parents[1] / "fixtures" / "documents" / "quy-che-co-loi-mo-dau.md"
NAME = "Trần Thị Bình"


async def _settle(bot: ZaloHarness) -> None:
    await asyncio.sleep(0.05)
    await bot.run_until_idle()


async def _open(bot: ZaloHarness, document: Path = SAMPLE_DOCUMENT) -> None:
    await bot.import_roster()
    await bot.create_campaign(await bot.import_document(document), MONDAY)
    await bot.register_zalo(NAME)
    bot.clock.set(local(MONDAY, 8, 30))
    await bot.run_until_idle()


async def _acked(bot: ZaloHarness) -> set[int]:
    async with bot.sessions() as session:
        return set((await session.scalars(select(Ack.item))).all())


async def _last_sent(bot: ZaloHarness) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(
            select(Delivery.item).where(Delivery.kind == DeliveryKind.SECTION, Delivery.status == DeliveryStatus.SENT)
            .order_by(Delivery.sent_at.desc(), Delivery.id.desc()).limit(1)
        ) or 0)


async def test_after_contents_then_next_a_one_confirms_the_new_section(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 7)) as bot:
        await _open(bot)
        (toc,) = await bot.say(NAME, "mục lục")
        assert "số mục để đọc" in toc.text
        await bot.sandbox.send_text(bot.zalo_users[NAME].id, "tiếp")
        await asyncio.sleep(0.2)
        await _settle(bot)
        newest = await _last_sent(bot)
        async with bot.sessions() as session:  # asked for: sent as an answer, before any backlog
            assert await session.scalar(select(Delivery.asked).where(Delivery.item == newest,
                                                                     Delivery.kind == DeliveryKind.SECTION))
        (done,) = await bot.say(NAME, "1")
        assert "Đã ghi nhận xác nhận" in done.text
        assert newest in await _acked(bot)


async def test_article_n_is_the_article_labelled_n(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 7)) as bot:
        await _open(bot, WITH_PREAMBLE)  # an opening section first: item N is not Điều N
        # read everything up to Điều 4 so that it is shown again at once
        for _ in range(5):
            await bot.sandbox.send_text(bot.zalo_users[NAME].id, "tiếp")
            await asyncio.sleep(0.1)
            await _settle(bot)
        (shown,) = await bot.say(NAME, "điều 4")
        assert "Điều 4. Trách nhiệm" in shown.text
        (done,) = await bot.say(NAME, "đã đọc")
        assert "Đã ghi nhận xác nhận" in done.text
        assert await _acked(bot) == {5}  # Điều 4 is the fifth item (after "Phần mở đầu")
        (missing,) = await bot.say(NAME, "điều 99")
        assert "không có Điều 99" in missing.text
