"""The delivery worker: claims due rows, sends them through the right channel,
records the outcome. Separate from update handling: a handler only queues rows
and nudges the worker, it never waits on a broadcast.

Limits: a global rate (default 25 messages a second, under Telegram's ~30), at
most one message a second per chat (by the rows' due times, so it holds across
processes and on a fake clock), ``retry_after`` honoured for the whole channel,
timeouts and 5xx retried with backoff a bounded number of times, 403 marks the
identity unreachable.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import (
    ChannelAdapter,
    Rejected,
    RetryAfter,
    Transient,
    Unreachable,
)
from bot.domain.enums import Channel
from bot.services import deliveries
from bot.services.clock import Clock

log = logging.getLogger(__name__)


class RateLimiter:
    """A token bucket on the monotonic clock: ``rate`` per second, bursts of ``burst``."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(rate, 1.0)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self.paused_until:
                    await asyncio.sleep(self.paused_until - now)
                    continue
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


@dataclass
class WorkerStats:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    retried: int = 0
    rate_limited: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


class DeliveryWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        channels: Mapping[Channel, ChannelAdapter],
        *,
        rate: float = 25.0,
        batch: int = 64,
        concurrency: int = 32,
        poll_seconds: float = 1.0,
        compose: deliveries.Compose | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.compose: deliveries.Compose = compose or deliveries.plain_message
        self.channels = dict(channels)
        self.limiters = {channel: RateLimiter(rate) for channel in self.channels}
        self.batch = batch
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.stats = WorkerStats()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Work until stopped; a send in flight finishes and is recorded first."""
        while not self._stopping.is_set():
            done = await self.run_once()
            if done == 0 and not self._stopping.is_set():
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                except asyncio.TimeoutError:
                    pass

    async def run_once(self) -> int:
        """Claim one batch of due rows, send them, record the outcomes. Returns how many
        rows were handled. The database sees three short transactions per batch; the
        network calls happen outside any transaction."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            claimed = await deliveries.claim_due(session, now, self.batch, list(self.channels))
            targets = (
                await deliveries.load_targets(session, claimed, list(self.channels), self.compose) if claimed else []
            )
        if not targets:
            return len(claimed)
        gate = asyncio.Semaphore(self.concurrency)

        async def one(target: deliveries.Target) -> deliveries.Result:
            async with gate:
                return await self._send(target)

        results = await asyncio.gather(*(one(t) for t in targets))
        async with self.sessions() as session, session.begin():
            continuing = await deliveries.record_results(session, results, self.clock.now())
        self._count(results)
        if continuing:
            self.wake()
        return len(claimed)

    async def drain(self, max_rounds: int = 10_000) -> int:
        """Send everything due now (tests and the simulator)."""
        total = 0
        for _ in range(max_rounds):
            handled = await self.run_once()
            if handled == 0:
                break
            total += handled
        return total

    async def _send(self, target: deliveries.Target) -> deliveries.Result:
        """One network call, and what came of it (nothing is written here)."""
        job = target.job
        Result, Outcome = deliveries.Result, deliveries.Outcome
        if target.channel is None or target.chat_id is None:
            return Result(job.delivery_id, Outcome.BLOCKED, error="no reachable channel")
        adapter = self.channels[target.channel]
        messages = adapter.render(job)
        if job.chunk_index >= len(messages):
            return Result(job.delivery_id, Outcome.FAILED, error="nothing to send")
        await self.limiters[target.channel].acquire()
        try:
            sent = await adapter.send(target.chat_id, messages[job.chunk_index])
        except Unreachable as error:
            return Result(job.delivery_id, Outcome.BLOCKED, error=str(error), unreachable_identity=target.identity_id)
        except RetryAfter as error:
            self.limiters[target.channel].pause(error.seconds)
            when = self.clock.now() + dt.timedelta(seconds=error.seconds)
            return Result(job.delivery_id, Outcome.RETRY, error=str(error), retry_at=when)
        except Transient as error:
            when = self.clock.now() + deliveries.backoff(job.attempts + 1)
            return Result(job.delivery_id, Outcome.RETRY, error=str(error), retry_at=when, count_attempt=True)
        except Rejected as error:
            log.warning("delivery %s refused by %s: %s", job.delivery_id, target.channel.value, error)
            return Result(job.delivery_id, Outcome.FAILED, error=str(error))
        return Result(
            job.delivery_id, Outcome.SENT, channel=target.channel, chat_id=target.chat_id,
            message_id=sent.message_id, chunk_count=len(messages),
        )

    def _count(self, results: list[deliveries.Result]) -> None:
        for result in results:
            if result.outcome is deliveries.Outcome.SENT:
                self.stats.sent += 1
                key = result.channel.value if result.channel else "?"
                self.stats.by_channel[key] = self.stats.by_channel.get(key, 0) + 1
            elif result.outcome is deliveries.Outcome.BLOCKED:
                self.stats.blocked += 1
            elif result.outcome is deliveries.Outcome.FAILED:
                self.stats.failed += 1
            elif result.count_attempt:
                self.stats.retried += 1
            else:
                self.stats.rate_limited += 1
