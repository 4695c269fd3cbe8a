"""The continuity evidence: a running bot's marks, read back as hours reachable and gaps;
and the embedded default's test codes, which survive a restart."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Heartbeat
from bot.runtime import Runtime, RuntimeOptions, seed_embedded
from bot.services import heartbeat
from bot.services.clock import FakeClock
from bot.settings import load_settings

START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
TZ = "Asia/Ho_Chi_Minh"


async def _marks(sessions: async_sessionmaker[AsyncSession], times: list[dt.datetime]) -> None:
    async with sessions() as session, session.begin():
        for at in times:
            await heartbeat.beat(session, at, "test:1")


async def test_a_hole_longer_than_fifteen_minutes_is_a_gap_and_shorter_ones_are_not(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    every_2_min = [START + dt.timedelta(minutes=m) for m in range(0, 6 * 60, 2)]
    hole = (START + dt.timedelta(hours=2), START + dt.timedelta(hours=2, minutes=40))
    short = (START + dt.timedelta(hours=4), START + dt.timedelta(hours=4, minutes=14))
    kept = [m for m in every_2_min if not (hole[0] < m < hole[1]) and not (short[0] < m < short[1])]
    await _marks(sessions, kept)
    end = START + dt.timedelta(hours=6)
    async with sessions() as session:
        evidence = await heartbeat.continuity(session, START, end, now=end + dt.timedelta(days=1))
    assert [(g.start, g.end) for g in evidence.gaps] == [hole]
    assert evidence.window == dt.timedelta(hours=6)
    assert evidence.reachable == dt.timedelta(hours=5, minutes=20)
    assert not evidence.continuous


async def test_an_open_window_is_judged_up_to_now_and_silence_at_the_end_counts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _marks(sessions, [START + dt.timedelta(minutes=m) for m in range(0, 60, 2)])
    now = START + dt.timedelta(hours=2)
    async with sessions() as session:
        evidence = await heartbeat.continuity(session, START, START + dt.timedelta(days=20), now)
        nothing = await heartbeat.continuity(session, now + dt.timedelta(days=1), now + dt.timedelta(days=2), now)
    assert evidence.end == now
    assert [(g.start, g.end) for g in evidence.gaps] == [(START + dt.timedelta(minutes=58), now)]
    assert nothing.window == dt.timedelta(0) and nothing.gaps == []


async def test_the_running_bot_writes_a_mark_when_it_starts(db_url: str) -> None:
    runtime = Runtime(load_settings(database_url=db_url), clock=FakeClock(START),
                      options=RuntimeOptions(polling=False, run_worker=False, migrate=False))
    await runtime.start()
    try:
        assert runtime.scheduler is not None
        jobs = {job.func.__name__ for job in runtime.scheduler.get_jobs()}
        assert "heartbeat" in jobs
        assert runtime.sessions is not None
        async with runtime.sessions() as session:
            marks = (await session.scalars(select(Heartbeat))).all()
        assert [m.at for m in marks] == [START]
    finally:
        await runtime.stop()


async def test_the_embedded_default_prints_the_same_test_codes_after_a_restart(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = FakeClock(START)
    first = await seed_embedded(sessions, clock, TZ)
    clock.advance(dt.timedelta(hours=3))
    second = await seed_embedded(sessions, clock, TZ)
    assert len(first.invites) == 3
    assert second.invites == first.invites
    async with sessions() as session:
        assert await session.scalar(select(func.count(Heartbeat.id))) == 0
