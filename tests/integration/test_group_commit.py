"""Many "Đã đọc" in one transaction (``reading.confirm_sections``) and the group commit
that gathers them (``GroupCommit``), on both databases."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.db.batch import GroupCommit
from bot.db.models import Ack, AuditEvent, Delivery
from bot.domain.enums import Channel, DeliveryKind
from bot.services import reading
from bot.services.reading import AckStatus, MemberPress
from tests.integration.harness import local, running_bot

MONDAY = dt.date(2026, 11, 23)
TG = Channel.TELEGRAM


async def test_one_transaction_answers_each_press_as_if_alone(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        campaign = await bot.open_campaign(MONDAY)
        await bot.runtime.tick()  # the window opens
        an, binh = await bot.staff_id("Nguyễn Văn An"), await bot.staff_id("Trần Thị Bình")
        await bot.mark_sent(an, campaign, [1, 2])
        await bot.mark_sent(binh, campaign, [2])
        earlier = local(MONDAY, 9)
        async with bot.sessions() as session, session.begin():
            (first,) = await reading.confirm_sections(session, [MemberPress(binh, campaign, 2, TG)], earlier)
        assert first.status is AckStatus.NEW and first.confirmed == 1

        now = local(MONDAY, 10)
        presses = [
            MemberPress(an, campaign, 1, TG),
            MemberPress(an, campaign, 2, TG),
            MemberPress(an, campaign, 1, TG),  # a double tap inside the group
            MemberPress(binh, campaign, 2, TG),  # confirmed before this group
            MemberPress(binh, campaign, 99, TG),  # no such section
            MemberPress(an, campaign + 1, 1, TG),  # no such campaign
            MemberPress(an, campaign, 3, TG),  # never sent to this person: a forged press
        ]
        async with bot.sessions() as session, session.begin():
            results = await reading.confirm_sections(session, presses, now)
        assert [r.status for r in results] == [
            AckStatus.NEW, AckStatus.NEW, AckStatus.AGAIN, AckStatus.AGAIN, AckStatus.NOT_SENT, AckStatus.CLOSED,
            AckStatus.NOT_SENT,
        ]
        assert [r.confirmed for r in results[:4]] == [1, 2, 2, 1]
        assert [r.at for r in results[:4]] == [now, now, now, earlier]
        assert {r.total for r in results[:4]} == {6}
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Ack.id))) == 3


async def test_completing_the_document_in_one_group_queues_one_attestation(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        campaign = await bot.open_campaign(MONDAY)
        await bot.runtime.tick()  # the window opens
        an = await bot.staff_id("Nguyễn Văn An")
        await bot.mark_sent(an, campaign, range(1, 7))
        presses = [MemberPress(an, campaign, ordinal, TG) for ordinal in range(1, 7)] + [MemberPress(an, campaign, 6, TG)]
        async with bot.sessions() as session, session.begin():
            results = await reading.confirm_sections(session, presses, local(MONDAY, 10))
        assert [r.confirmed for r in results] == [1, 2, 3, 4, 5, 6, 6]
        assert [r.attestation_queued for r in results] == [False] * 5 + [True, False]
        async with bot.sessions() as session:
            queued = await session.scalar(
                select(func.count(Delivery.id)).where(Delivery.kind == DeliveryKind.ATTESTATION)
            )
        assert queued == 1


async def test_group_commit_gathers_callers_and_a_bad_item_fails_alone(sessions) -> None:  # type: ignore[no-untyped-def]
    async def work(session, items: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
        for item in items:
            session.add(AuditEvent(at=dt.datetime.now(dt.UTC), actor="test", action=item, target_type="t"))
        await session.flush()
        if "bad" in items:
            raise ValueError("bad item")
        return [item.upper() for item in items]

    group = GroupCommit(sessions, work)
    items = ["a", "b", "bad", "c", "d"]
    results = await asyncio.gather(*(group.submit(item) for item in items), return_exceptions=True)
    assert results[:2] + results[3:] == ["A", "B", "C", "D"]
    assert isinstance(results[2], ValueError)
    assert group.groups == 4  # the failed group rolled back; each good item then committed alone
    async with sessions() as session:
        stored = sorted((await session.scalars(select(AuditEvent.action))).all())
    assert stored == ["a", "b", "c", "d"]

    # callers arriving while a group commits form the next group
    later = await asyncio.gather(*(group.submit(item) for item in ["e", "f", "g"]))
    assert later == ["E", "F", "G"] and group.groups == 5


async def test_a_caller_that_gives_up_leaves_the_others_alone(sessions) -> None:  # type: ignore[no-untyped-def]
    async def work(session, items: list[int]) -> list[int]:  # type: ignore[no-untyped-def]
        return [item * 2 for item in items]

    group = GroupCommit(sessions, work)
    quitter = asyncio.create_task(group.submit(1))
    stayer = asyncio.create_task(group.submit(2))
    await asyncio.sleep(0)
    quitter.cancel()
    assert await stayer == 4
    with pytest.raises(asyncio.CancelledError):
        await quitter
