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

from bot.channels.base import BotContext, ChannelAdapter, Rejected, RetryAfter, Transient, Unreachable
from bot.domain.enums import Channel
from bot.services import deliveries

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
        ctx: BotContext,
        channels: Mapping[Channel, ChannelAdapter],
        *,
        rate: float = 25.0,
        batch: int = 64,
        concurrency: int = 32,
        poll_seconds: float = 1.0,
    ) -> None:
        self.ctx = ctx
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
        """Claim one batch of due rows and send them. Returns how many were handled."""
        now = self.ctx.clock.now()
        async with self.ctx.sessions() as session, session.begin():
            claimed = await deliveries.claim_due(session, now, self.batch, list(self.channels))
        if not claimed:
            return 0
        gate = asyncio.Semaphore(self.concurrency)

        async def one(delivery_id: int) -> None:
            async with gate:
                await self._deliver(delivery_id)

        await asyncio.gather(*(one(i) for i in claimed))
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

    async def _deliver(self, delivery_id: int) -> None:
        now = self.ctx.clock.now()
        async with self.ctx.sessions() as session, session.begin():
            job = await deliveries.load_job(session, delivery_id)
            if job is None:
                return
            identity = await deliveries.route(session, job.staff_id, list(self.channels))
            if identity is None:
                await deliveries.record_failed(session, delivery_id, "no reachable channel", blocked=True)
                self.stats.blocked += 1
                return
            if job.channel is not None and job.chunk_index > 0 and job.channel != identity.channel:
                identity = None  # a half-sent message stays on its channel
                await deliveries.record_failed(session, delivery_id, "channel changed mid-message", blocked=True)
                return
            identity_id, channel, chat_id = identity.id, identity.channel, identity.chat_id
        adapter = self.channels[channel]
        messages = adapter.render(job)
        if job.chunk_index >= len(messages):
            async with self.ctx.sessions() as session, session.begin():
                await deliveries.record_failed(session, delivery_id, "nothing to send")
            return
        await self.limiters[channel].acquire()
        try:
            sent = await adapter.send(chat_id, messages[job.chunk_index])
        except Unreachable as error:
            async with self.ctx.sessions() as session, session.begin():
                await deliveries.mark_unreachable(session, identity_id, str(error), self.ctx.clock.now())
                await deliveries.record_failed(session, delivery_id, str(error), blocked=True)
            self.stats.blocked += 1
            return
        except RetryAfter as error:
            self.limiters[channel].pause(error.seconds)
            self.stats.rate_limited += 1
            async with self.ctx.sessions() as session, session.begin():
                await deliveries.record_retry_later(
                    session, delivery_id, self.ctx.clock.now() + dt.timedelta(seconds=error.seconds), str(error),
                    count_attempt=False,
                )
            return
        except Transient as error:
            self.stats.retried += 1
            async with self.ctx.sessions() as session, session.begin():
                await deliveries.record_retry_later(
                    session, delivery_id, self.ctx.clock.now() + deliveries.backoff(job.attempts + 1), str(error),
                    count_attempt=True,
                )
            return
        except Rejected as error:
            log.warning("delivery %s refused by %s: %s", delivery_id, channel.value, error)
            self.stats.failed += 1
            async with self.ctx.sessions() as session, session.begin():
                await deliveries.record_failed(session, delivery_id, str(error))
            return
        async with self.ctx.sessions() as session, session.begin():
            await deliveries.record_chunk_sent(
                session, delivery_id, self.ctx.clock.now(),
                channel=channel, chat_id=chat_id, message_id=sent.message_id, chunk_count=len(messages),
            )
        self.stats.sent += 1
        self.stats.by_channel[channel.value] = self.stats.by_channel.get(channel.value, 0) + 1
        if job.chunk_index + 1 < len(messages):
            self.wake()
