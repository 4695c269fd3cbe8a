"""The continuity evidence of a disclosure window (Luật 10/2022 Art. 48.1: "at least 20
continuous days"). A running bot writes a mark every few minutes; a report reads the
marks of a window back and states how long the full text was reachable, listing every
stretch without a mark longer than ``GAP``.

A claim that the window was continuous is then something a reader can check: the rows
are there, one every ``INTERVAL``, from every process that was serving.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Heartbeat

INTERVAL = dt.timedelta(minutes=2)  # how often a running bot writes a mark
GAP = dt.timedelta(minutes=15)  # a longer stretch without a mark is listed as a gap


async def beat(session: AsyncSession, now: dt.datetime, instance: str) -> None:
    session.add(Heartbeat(at=now, instance=instance[:64]))


async def beat_span(session: AsyncSession, start: dt.datetime, end: dt.datetime, instance: str) -> int:
    """The marks a bot running from ``start`` to ``end`` would have written (the simulator's bot
    runs on a fake clock that jumps an hour at a time). Returns how many."""
    marks = []
    at = start
    while at <= end:
        marks.append({"at": at, "instance": instance[:64]})
        at += INTERVAL
    if marks:
        await session.execute(insert(Heartbeat), marks)
    return len(marks)


@dataclass(frozen=True)
class Gap:
    start: dt.datetime
    end: dt.datetime

    @property
    def length(self) -> dt.timedelta:
        return self.end - self.start


@dataclass
class Continuity:
    start: dt.datetime
    end: dt.datetime  # the window's end, or now while it is still open
    gaps: list[Gap] = field(default_factory=list)

    @property
    def window(self) -> dt.timedelta:
        return max(self.end - self.start, dt.timedelta(0))

    @property
    def reachable(self) -> dt.timedelta:
        return self.window - sum((g.length for g in self.gaps), dt.timedelta(0))

    @property
    def continuous(self) -> bool:
        return not self.gaps and self.window > dt.timedelta(0)


async def _marks(session: AsyncSession, start: dt.datetime, end: dt.datetime) -> AsyncIterator[dt.datetime]:
    result = await session.stream_scalars(
        select(Heartbeat.at).where(Heartbeat.at >= start, Heartbeat.at <= end).order_by(Heartbeat.at)
    )
    async for at in result:
        yield at


async def continuity(session: AsyncSession, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Continuity:
    """The evidence for [start, min(end, now)], read as a stream (a 20-day window at one
    mark every 2 minutes from two processes is about 29,000 rows)."""
    until = min(end, now)
    result = Continuity(start, until)
    if until <= start:
        return result
    previous = start
    async for mark in _marks(session, start, until):
        if mark - previous > GAP:
            result.gaps.append(Gap(previous, mark))
        previous = mark
    if until - previous > GAP:
        result.gaps.append(Gap(previous, until))
    return result
