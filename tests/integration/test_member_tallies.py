"""The figures kept on each member's row (``services.tallies``: sections sent, confirmed in all,
on Telegram, on Zalo, the attestation, the latest confirmation) stay equal to what the delivery
and acknowledgment rows say, through a real conversation on both messengers: sections sent by
the worker, presses (and a double tap), typed confirmations on Zalo, reading ahead, the final
attestation, a person's data erased, the next day's sections."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from bot.db.models import Ack, Campaign, CampaignMember, Delivery, Section
from bot.domain.enums import Channel, DeliveryKind, DeliveryStatus
from bot.services import counts, privacy
from tests.integration.harness import local
from tests.integration.harness_zalo import ZaloHarness, running_zalo_bot

MONDAY = dt.date(2026, 11, 23)
READER = "Lê Văn Cường"  # Telegram (and Zalo): reads everything and attests
ON_ZALO = "Trần Thị Bình"
DOUBLE_TAP = "Phạm Thị Dung"  # Telegram: presses twice, then has her data erased
LEADER = "Nguyễn Văn An"  # Telegram: receives, confirms nothing


async def _press(bot: ZaloHarness, name: str, message: Any, text: str) -> None:
    action = next(b["callback_data"] for b in message.buttons if b["text"].startswith(text))
    record = await bot.sandbox.press_button(bot.users[name].id, message.message_id, action)
    await bot.sandbox.wait_for_answer(record.id)


async def _settle(bot: ZaloHarness) -> None:
    assert bot.runtime.worker is not None
    idle = 0
    while idle < 3:
        await asyncio.sleep(0.03)
        idle = 0 if await bot.runtime.worker.drain() else idle + 1
    await bot.run_until_idle()


async def _kept_and_recounted(bot: ZaloHarness, campaign_id: int) -> tuple[dict[int, tuple[Any, ...]], dict[int, tuple[Any, ...]]]:
    """Per person: the figures on their member row, and the same figures counted from the rows."""
    async with bot.sessions() as session:
        kept = {
            staff_id: tuple(rest)
            for staff_id, *rest in (await session.execute(
                select(CampaignMember.staff_id, CampaignMember.sections_sent, CampaignMember.sections_confirmed,
                       CampaignMember.confirmed_telegram, CampaignMember.confirmed_zalo, CampaignMember.attested_at,
                       CampaignMember.last_confirmed_at)
                .where(CampaignMember.campaign_id == campaign_id)
            )).all()
        }
        sent = dict((await session.execute(
            select(Delivery.staff_id, func.count()).where(
                Delivery.campaign_id == campaign_id, Delivery.kind == DeliveryKind.SECTION,
                Delivery.status == DeliveryStatus.SENT,
            ).group_by(Delivery.staff_id)
        )).all())
        acks = (await session.execute(
            select(Ack.staff_id, Ack.item, Ack.via, Ack.at).where(Ack.campaign_id == campaign_id)
        )).all()
    recounted = {}
    for staff_id in kept:
        mine = [a for a in acks if a.staff_id == staff_id]
        sections = [a for a in mine if a.item != 0]
        recounted[staff_id] = (
            sent.get(staff_id, 0),
            len(sections),
            sum(1 for a in sections if a.via is Channel.TELEGRAM),
            sum(1 for a in sections if a.via is Channel.ZALO),
            next((a.at for a in mine if a.item == 0), None),
            max((a.at for a in mine), default=None),
        )
    return kept, recounted


async def test_member_figures_follow_a_conversation(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 7)) as bot:
        campaign_id = await bot.open_campaign(MONDAY)
        await bot.register(READER)
        await bot.register_zalo(ON_ZALO)
        await bot.register(DOUBLE_TAP)
        await bot.register(LEADER)
        bot.clock.set(local(MONDAY, 10, 30))  # the first day's sections
        await bot.run_until_idle()

        # Zalo: typed confirmations, a second one of the same section, reading ahead
        (done,) = await bot.say(ON_ZALO, "đã đọc")
        assert "Đã ghi nhận xác nhận" in done.text
        await bot.say(ON_ZALO, "1")
        await bot.sandbox.send_text(bot.zalo_users[ON_ZALO].id, "tiếp")
        await _settle(bot)
        await bot.quiet(ON_ZALO)
        await bot.say(ON_ZALO, "đã đọc")

        # Telegram: a double tap on the same button
        chat = await bot.bot_messages(DOUBLE_TAP)
        message = next(m for m in chat if any(b["text"] == "✅ Đã đọc" for b in m.buttons))
        await _press(bot, DOUBLE_TAP, message, "✅ Đã đọc")
        await _press(bot, DOUBLE_TAP, message, "✅ Đã đọc")

        # Telegram: the whole document, read ahead, then the attestation
        for _ in range(10):
            chat = await bot.bot_messages(READER)
            await bot.confirm_all(READER)
            nxt = next((b for b in chat[-1].buttons if b["text"].startswith("Đọc tiếp")), None)
            if nxt is None:
                break
            await bot.sandbox.press_button(bot.users[READER].id, chat[-1].message_id, nxt["callback_data"])
            await _settle(bot)
        await _settle(bot)
        chat = await bot.bot_messages(READER)
        attest = next(m for m in chat if any(b["text"].startswith("✅ Tôi đã đọc") for b in m.buttons))
        await _press(bot, READER, attest, "✅ Tôi đã đọc")
        await _press(bot, READER, attest, "✅ Tôi đã đọc")  # again: nothing changes

        kept, recounted = await _kept_and_recounted(bot, campaign_id)
        assert kept == recounted
        reader, zalo, double, leader = [await bot.staff_id(n) for n in (READER, ON_ZALO, DOUBLE_TAP, LEADER)]
        assert kept[reader][1] == kept[reader][2] > 0 and kept[reader][4] is not None  # all on Telegram, attested
        assert kept[zalo][3] == 2 and kept[zalo][2] == 0  # two sections confirmed on Zalo
        assert kept[double][1] == 1  # the double tap counted once
        assert kept[leader][0] > 0 and kept[leader][1] == 0

        # a person's data erased (the counts stay), then the next days' sections
        async with bot.sessions() as session, session.begin():
            await privacy.forget(session, double, bot.clock.now())
        for day in range(1, 4):
            bot.clock.set(local(MONDAY + dt.timedelta(days=day), 10, 30))
            await bot.run_until_idle()
        await bot.say(ON_ZALO, "đã đọc")

        kept, recounted = await _kept_and_recounted(bot, campaign_id)
        assert kept == recounted
        assert kept[double][1] == 1

        # the summary read from the member rows says what the rows say
        async with bot.sessions() as session:
            campaign = await session.get(Campaign, campaign_id)
            assert campaign is not None
            total = len((await session.scalars(select(Section.id).where(Section.document_id == campaign.document_id))).all())
            summary = (await counts.campaign_counts(session, campaign, total)).total
            active = set((await session.scalars(select(CampaignMember.staff_id).where(
                CampaignMember.campaign_id == campaign_id, CampaignMember.removed_at.is_(None)))).all())
        figures = [recounted[s] for s in active]
        assert summary.members == len(active)
        assert summary.sent == sum(f[0] for f in figures)
        assert summary.acks == sum(f[1] for f in figures)
        assert summary.acks_telegram == sum(f[2] for f in figures)
        assert summary.acks_zalo == sum(f[3] for f in figures)
        assert summary.attested == sum(1 for f in figures if f[4] is not None) == 1
        assert summary.all_confirmed == sum(1 for f in figures if f[1] >= total) == 1
