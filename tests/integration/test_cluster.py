"""Several processes on one database: one leader runs the scheduler's tick, a dead leader is
replaced at the next refresh, and every process sends at its part of the overall limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.db.engine import create_engine
from bot.outbox.budget import SendBudget
from bot.runtime import Runtime, RuntimeOptions
from bot.services.clock import FakeClock
from bot.services.cluster import Cluster
from bot.settings import load_settings

NOW = dt.datetime(2026, 11, 23, 2, tzinfo=dt.UTC)


async def test_one_leader_and_a_dead_leader_is_replaced(db_url: str) -> None:
    engines = [create_engine(db_url) for _ in range(3)]
    clusters = [Cluster(e) for e in engines]
    try:
        standings = [await c.refresh() for c in clusters]
        if not clusters[0].postgres:  # SQLite: one process, always the leader
            assert all(s.leader and s.live == 1 for s in standings)
            return
        standings = [await c.refresh() for c in clusters]  # everyone has joined now
        assert [s.leader for s in standings] == [True, False, False]
        assert {s.live for s in standings} == {3}
        # the leader's connection ends (as when its process is killed): its locks go with it
        await clusters[0]._drop()
        clusters[0].postgres = False  # it is gone: it never refreshes again
        standings = [await c.refresh() for c in clusters[1:]]
        assert [s.leader for s in standings] == [True, False]
        assert {s.live for s in standings} == {2}
    finally:
        for cluster in clusters:
            await cluster.close()
        for engine in engines:
            await engine.dispose()


@asynccontextmanager
async def two_processes(db_url: str, send_rate: float) -> AsyncIterator[list[Runtime]]:
    """Two runtimes on one database, started and counted (each has run ``coordinate`` once)."""
    runtimes = [
        Runtime(load_settings(database_url=db_url, send_rate=send_rate, telegram_token=None, zalo_token=None),
                clock=FakeClock(NOW), options=RuntimeOptions(polling=False, run_worker=False, migrate=False))
        for _ in range(2)
    ]
    for runtime in runtimes:
        await runtime.start()
    try:
        for runtime in runtimes:
            await runtime.coordinate()
        yield runtimes
    finally:
        for runtime in runtimes:
            await runtime.stop()


async def test_only_the_leader_ticks_and_each_process_sends_at_its_part(db_url: str) -> None:
    async with two_processes(db_url, 30.0) as runtimes:
        leaders = [r.leader for r in runtimes]
        postgres = runtimes[0].cluster is not None and runtimes[0].cluster.postgres
        assert leaders == ([True, False] if postgres else [True, True])
        assert all(r.cluster is not None and r.cluster.live == (2 if postgres else 1) for r in runtimes)
        # the follower's scheduled tick does nothing
        ticked: list[int] = []
        for index, runtime in enumerate(runtimes):
            original = runtime.tick

            async def counted(index: int = index, original=original):  # type: ignore[no-untyped-def]
                ticked.append(index)
                return await original()

            runtime.tick = counted  # type: ignore[method-assign]
            await runtime.scheduled_tick()
        assert ticked == ([0] if postgres else [0, 1])


async def test_the_budget_takes_a_new_rate() -> None:
    budget = SendBudget(1000.0)
    assert budget.burst == 333
    budget.set_rate(250.0)
    assert (budget.rate, budget.burst) == (250.0, 83)
    assert budget.limiter.max_rate == 83 and abs(budget.limiter.time_period - 83 / 250) < 1e-9
    await budget.close()


async def test_each_process_claims_for_its_own_part_of_the_rate(db_url: str) -> None:
    """A claimed batch is a quarter of a second of the process's own sending: with two processes
    on PostgreSQL each claims half what one alone would (fewer rows left claimed by a killed one)."""
    async with two_processes(db_url, 1000.0) as runtimes:
        postgres = runtimes[0].cluster is not None and runtimes[0].cluster.postgres
        for runtime in runtimes:
            assert runtime.worker is not None
            assert runtime.worker.batch == runtime.worker.concurrency == (125 if postgres else 250)
            assert all(b.rate == (500.0 if postgres else 1000.0) for b in runtime.worker.budgets.values())
