"""The daily limit on comments counts anonymous ones across processes (two session factories
with the deployment's key stand for two processes), and what the database keeps for it names
no person, no comment and no time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.db.cache import Cache
from bot.db.engine import session_factory
from bot.db.models import AnonymousQuota, Feedback
from bot.domain.enums import Channel
from bot.services import feedback
from tests.integration.harness import local, running_bot

MONDAY = dt.date(2026, 11, 23)
KEY = b"k" * 32


async def test_the_anonymous_limit_holds_across_processes(db_url: str) -> None:
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        campaign = await bot.open_campaign(MONDAY)
        await bot.runtime.tick()
        binh = await bot.staff_id("Trần Thị Bình")
        assert bot.runtime.engine is not None
        processes = [session_factory(bot.runtime.engine, Cache(), KEY) for _ in range(2)]
        now = local(MONDAY, 10)
        for i in range(feedback.DAILY_LIMIT):
            async with processes[i % 2]() as session, session.begin():
                await feedback.submit(session, staff_id=binh, campaign_id=campaign, ordinal=None, text=f"Ý kiến {i}",
                                      anonymous=True, via=Channel.TELEGRAM, now=now)
        with pytest.raises(feedback.FeedbackRefused):
            async with processes[1]() as session, session.begin():
                await feedback.submit(session, staff_id=binh, campaign_id=campaign, ordinal=None, text="Thêm",
                                      anonymous=True, via=Channel.TELEGRAM, now=now)
        async with processes[0]() as session:
            (row,) = (await session.execute(select(AnonymousQuota.token, AnonymousQuota.day, AnonymousQuota.count))).all()
            anonymous = (await session.scalars(select(Feedback.staff_id))).all()
        assert row.count == feedback.DAILY_LIMIT and len(row.token) == 64  # a keyed hash, not an id
        assert set(anonymous) == {None}
