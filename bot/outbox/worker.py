"""The outbox: the delivery worker and the replies, inside one send budget per messenger.

Queued deliveries (database rows) are claimed in batches, one row per person at a time and
in each person's order, sent, and their outcome recorded. Replies to someone's own action
are queued in memory (:meth:`Outbox.reply` returns at once) and go before any delivery.
Both wait for their turn in the messenger's :class:`~bot.outbox.budget.SendBudget`.

Outcomes: a 429 is retried after ``retry_after`` (never dropped, never counted as an
attempt, and the row keeps its place in the person's order); timeouts and 5xx are retried
with backoff a bounded number of times; 403 marks the identity unreachable; 401 stops the
messenger, keeps every row pending and probes the token until it is accepted again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.enums import Channel
from bot.domain.messages import Message
from bot.outbox.budget import Priority, SendBudget, Stopped
from bot.outbox.protocol import (
    ChannelAdapter,
    Rejected,
    RetryAfter,
    Transient,
    Unauthorized,
    Unreachable,
)
from bot.services import deliveries
from bot.services.clock import Clock

log = logging.getLogger(__name__)

STOPPED_RETRY = dt.timedelta(seconds=30)  # a row for a messenger whose token is refused: look again then
PROBE_SECONDS = (5.0, 300.0)  # the refused token is tried again (getMe), backing off between these
REPLY_ATTEMPTS = 4  # a reply that times out is tried this many times
ROUNDS_IN_FLIGHT = 2  # a batch is claimed while the previous one's last sends are on the network
FLUSH_SECONDS = 0.025  # a send's outcome is written at most this long after its answer (write-behind)
FLUSH_ROWS = 64  # ... or as soon as this many outcomes wait
RECORD_RETRY_SECONDS = (0.2, 5.0)  # the database refused a write: tried again, backing off between these
RECORD_GIVE_UP = deliveries.LEASE * 0.8  # kept no longer: past the lease the rows are claimed (and sent) again
STOP_RECORD_SECONDS = 5.0  # when stopping, a database that refuses the outcomes is given this long
FAULT_QUIET_SECONDS = 10.0  # a messenger's fault is over once its sends have gone through this long


@dataclass
class WorkerStats:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    retried: int = 0
    rate_limited: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    replies_sent: int = 0
    replies_lost: int = 0
    replies_rate_limited: int = 0


@dataclass
class _Waiting:
    result: deliveries.Result
    at: float  # loop time the outcome was handed in
    done: asyncio.Future[bool]  # True: the row has chunks left (set once written)


class Recorder:
    """Write-behind: the outcome of each send is written within ``interval`` of its answer
    (sooner once ``rows`` outcomes wait), every waiting outcome in ONE transaction per flush.

    A process killed mid-broadcast therefore loses the record only of the sends answered in
    the last flush window (and those still on the network), not of a whole claimed batch.
    When the database refuses a write (gone, locked, connection cut) the outcomes are kept
    and written again, backing off, with one log line when it starts failing and one when it
    works again; kept past ``give_up`` (the lease is about to end and the rows will be claimed
    again) they are let go, also in one line.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        on_written: Callable[[list[deliveries.Result]], None],
        *,
        interval: float = FLUSH_SECONDS,
        rows: int = FLUSH_ROWS,
        give_up: float = RECORD_GIVE_UP.total_seconds(),
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.on_written = on_written
        self.interval = interval
        self.rows = rows
        self.give_up = give_up
        self.flushes = 0  # transactions written
        self.written = 0  # outcomes written
        self.failures = 0  # faults (a run of refused writes counts once)
        self.dropped = 0  # outcomes let go (their rows are sent again after the lease)
        self._waiting: deque[_Waiting] = deque()
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._failing_since: float | None = None
        self.write_ms: deque[float] = deque(maxlen=4096)  # the latest flushes' write times

    def add(self, result: deliveries.Result) -> asyncio.Future[bool]:
        loop = asyncio.get_running_loop()
        waiting = _Waiting(result, loop.time(), loop.create_future())
        self._waiting.append(waiting)
        if len(self._waiting) >= self.rows:
            self._kick.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="outbox-recorder")
        return waiting.done

    def waiting(self) -> int:
        return len(self._waiting)

    def kick(self) -> None:
        """Write what waits without waiting out the interval."""
        if self._waiting:
            self._kick.set()

    async def close(self) -> None:
        """Write what waits now (a refusing database gets ``STOP_RECORD_SECONDS``)."""
        self._stopping = True
        self._kick.set()
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task}, timeout=STOP_RECORD_SECONDS + 1.0)
        if self._waiting:
            self._let_go(list(self._waiting), "stopping")
            self._waiting.clear()
        if self.write_ms:
            times = sorted(self.write_ms)
            log.info("outcomes written: %d in %d transactions; a write took %.1f ms (median), %.1f ms (99th "
                     "percentile), %.1f ms at most", self.written, self.flushes, times[len(times) // 2],
                     times[min(len(times) - 1, int(len(times) * 0.99))], times[-1])

    def stopping(self) -> None:
        self._stopping = True
        self._kick.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = RECORD_RETRY_SECONDS[0]
        while self._waiting:
            due = self._waiting[0].at + self.interval - loop.time()
            if due > 0 and len(self._waiting) < self.rows and not self._stopping and not self._kick.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._kick.wait(), due)
                continue
            self._kick.clear()
            batch = list(self._waiting)
            began = loop.time()
            try:
                async with self.sessions() as session, session.begin():
                    continuing = set(await deliveries.record_results(session, [w.result for w in batch], self.clock.now()))
            except Exception as error:  # noqa: BLE001 - the database may be briefly away
                now = loop.time()
                if self._failing_since is None:
                    self._failing_since = now
                    self.failures += 1
                    log.error("recording outcomes failed: %s: %s; %d kept, writing again", type(error).__name__,
                              _first_line(error), len(batch))
                limit = STOP_RECORD_SECONDS if self._stopping else self.give_up
                old = [w for w in batch if now - w.at >= limit]
                if old:
                    for w in old:
                        self._waiting.remove(w)
                    self._let_go(old, "stopping" if self._stopping else "lease")
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECORD_RETRY_SECONDS[1])
                continue
            for _ in batch:
                self._waiting.popleft()
            if self._failing_since is not None:
                log.warning("recording outcomes works again after %.1f s", loop.time() - self._failing_since)
                self._failing_since = None
            delay = RECORD_RETRY_SECONDS[0]
            self.write_ms.append((loop.time() - began) * 1000)
            self.flushes += 1
            self.written += len(batch)
            self.on_written([w.result for w in batch])
            for w in batch:
                if not w.done.done():
                    w.done.set_result(w.result.delivery_id in continuing)

    def _let_go(self, lost: list[_Waiting], why: str) -> None:
        self.dropped += len(lost)
        log.error("%d outcomes not recorded (%s): their rows are sent again once their lease ends", len(lost), why)
        for w in lost:
            if not w.done.done():
                w.done.set_result(False)


class FaultLog:
    """One log line per fault, not one per message: the first failed send of a kind (429s,
    timeouts, 5xx, dropped connections) on a messenger is said at once, the same again is only
    counted, and once sends have gone through for ``quiet`` seconds one line says it is over."""

    def __init__(self, quiet: float = FAULT_QUIET_SECONDS) -> None:
        self.quiet = quiet
        self._open: dict[tuple[Channel, str], list[float]] = {}  # (messenger, kind) -> [first, last, count]

    def failed(self, channel: Channel, kind: str) -> None:
        now = asyncio.get_running_loop().time()
        fault = self._open.get((channel, kind))
        if fault is None:
            self._open[channel, kind] = [now, now, 1]
            log.warning("%s: %s; the messages wait and are sent again", channel.value, kind)
        else:
            fault[1], fault[2] = now, fault[2] + 1

    def succeeded(self, channel: Channel) -> None:
        if not self._open:
            return
        now = asyncio.get_running_loop().time()
        for key, (first, last, count) in list(self._open.items()):
            if key[0] is channel and now - last >= self.quiet:
                del self._open[key]
                log.warning("%s: %s is over: %d sends were put back over %.0f s", channel.value, key[1], count,
                            last - first)


def _first_line(error: BaseException) -> str:
    """The driver's message, first line only (never the SQL with its parameters)."""
    original = getattr(error, "orig", None) or error
    return (str(original).splitlines() or [type(original).__name__])[0][:200]


class Outbox:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        channels: Mapping[Channel, ChannelAdapter],
        *,
        rate: float = 25.0,
        burst: float | None = None,
        chat_rate: float = 1.0,
        chat_burst: float = 1.0,
        batch: int = 64,
        concurrency: int = 64,
        poll_seconds: float = 1.0,
        compose: deliveries.Compose | None = None,
        on_resumed: Callable[[Channel], Awaitable[None]] | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.compose: deliveries.Compose = compose or deliveries.plain_message  # a queued row's words
        self.channels = dict(channels)
        self.budgets = {
            channel: SendBudget(rate, burst=burst, chat_rate=chat_rate, chat_burst=chat_burst)
            for channel in self.channels
        }
        self.batch = batch
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.stats = WorkerStats()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._replies: dict[tuple[Channel, str], deque[tuple[Message, int]]] = {}  # (message, place in its reply)
        self._reply_tasks: dict[tuple[Channel, str], asyncio.Task[None]] = {}
        self._probes: dict[Channel, asyncio.Task[None]] = {}
        self.probe_seconds = PROBE_SECONDS
        self.on_resumed = on_resumed  # told when a messenger accepts the token again
        self.recorder = Recorder(sessions, clock, self._count)  # each outcome written soon after its answer
        self.faults = FaultLog()  # a messenger's faults, one line each

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self.recorder.stopping()

    # --- replies ------------------------------------------------------------------------------

    async def reply(self, channel: Channel, chat_id: str, messages: Sequence[Message]) -> None:
        """Queue ``messages`` to one chat at reply priority, after what is already queued there.
        Returns once queued: the sending happens in the background."""
        if not messages:
            return
        key = (channel, chat_id)
        self._replies.setdefault(key, deque()).extend((message, rank) for rank, message in enumerate(messages))
        task = self._reply_tasks.get(key)
        if task is None or task.done():
            task = asyncio.create_task(self._send_replies(key), name="outbox-reply")
            self._reply_tasks[key] = task
            task.add_done_callback(lambda done, key=key: self._reply_done(key, done))

    def _reply_done(self, key: tuple[Channel, str], task: asyncio.Task[None]) -> None:
        if self._reply_tasks.get(key) is task:
            del self._reply_tasks[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("replies failed: %s", type(task.exception()).__name__)

    async def _send_replies(self, key: tuple[Channel, str]) -> None:
        channel, chat_id = key
        queue = self._replies[key]
        adapter, budget = self.channels[channel], self.budgets[channel]
        attempts = 0
        try:
            while queue:
                message, rank = queue[0]
                await budget.acquire(chat_id, Priority.REPLY, rank)
                try:
                    await adapter.send(chat_id, message)
                except RetryAfter as error:
                    self.stats.replies_rate_limited += 1
                    budget.retry_after(chat_id, error.seconds)
                    continue  # the same message, after the pause
                except Unauthorized:
                    self._stopped(channel)
                    continue  # waits in the budget until the token is accepted again
                except Transient as error:
                    attempts += 1
                    if attempts < REPLY_ATTEMPTS:
                        await asyncio.sleep(deliveries.backoff(attempts).total_seconds())
                        continue
                    log.warning("reply not sent on %s: %s", channel.value, error)
                    self.stats.replies_lost += 1
                except Unreachable as error:
                    log.info("reply not sent on %s: %s", channel.value, error)
                    self.stats.replies_lost += len(queue)
                    queue.clear()
                    break
                except Rejected as error:
                    log.warning("reply refused by %s: %s", channel.value, error)
                    self.stats.replies_lost += 1
                else:
                    self.stats.replies_sent += 1
                attempts = 0
                queue.popleft()
        finally:
            if not queue:
                self._replies.pop(key, None)

    def replies_waiting(self) -> int:
        return sum(len(q) for q in self._replies.values())

    async def flush_replies(self, timeout: float = 10.0) -> None:
        """Wait (a bounded time) for the queued replies to go out (not those of a messenger
        that refuses the token: they cannot)."""
        tasks = [task for (channel, _), task in self._reply_tasks.items() if not self.budgets[channel].stopped]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    # --- deliveries -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Work until stopped; a send in flight finishes and is recorded first. The next batch
        is claimed as soon as every message of the current one has had its turn, so the
        budget never idles while a batch's last sends are on the network."""
        rounds: set[asyncio.Task[int]] = set()
        try:
            while not self._stopping.is_set():
                if len(rounds) >= ROUNDS_IN_FLIGHT:
                    _, rounds = await asyncio.wait(rounds, return_when=asyncio.FIRST_COMPLETED)
                    continue
                self._wake.clear()
                try:
                    targets, claimed = await self._claim()
                except Exception as error:  # noqa: BLE001 - the database may be briefly away
                    log.error("claiming deliveries failed: %s: %s", type(error).__name__, _first_line(error))
                    targets, claimed = [], 0
                if claimed == 0:
                    await self._idle(rounds)
                    rounds = {r for r in rounds if not r.done()}
                    continue
                if not targets:
                    continue
                passed = asyncio.Event()
                task = asyncio.create_task(self._round(targets, passed), name="outbox-round")
                task.add_done_callback(_log_failure)
                rounds.add(task)
                waiter = asyncio.create_task(passed.wait())
                await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                rounds = {r for r in rounds if not r.done()}
        finally:
            if rounds:
                await asyncio.gather(*rounds, return_exceptions=True)

    async def _idle(self, rounds: set[asyncio.Task[int]]) -> None:
        """Nothing to claim: wait for a nudge, a round to finish (its people's next rows), or the poll."""
        if self._stopping.is_set():
            return
        waits: set[asyncio.Future[object]] = {asyncio.ensure_future(self._wake.wait()), *rounds}
        await asyncio.wait(waits, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
        for future in waits:
            if future not in rounds:
                future.cancel()

    async def run_once(self) -> int:
        """Claim one batch of due rows, send them, record the outcomes. Returns how many
        rows were claimed. The database sees three short transactions per batch; the
        network calls happen outside any transaction."""
        targets, claimed = await self._claim()
        if targets:
            await self._round(targets, asyncio.Event())
        return claimed

    async def drain(self, max_rounds: int = 10_000) -> int:
        """Send everything due now (tests and the simulator)."""
        total = 0
        for _ in range(max_rounds):
            handled = await self.run_once()
            if handled == 0:
                break
            total += handled
        return total

    async def _claim(self) -> tuple[list[deliveries.Target], int]:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            claimed = await deliveries.claim_due(session, now, self.batch, list(self.channels))
            targets = (
                await deliveries.load_targets(session, claimed, list(self.channels), self.compose) if claimed else []
            )
        return targets, len(claimed)

    async def _round(self, targets: list[deliveries.Target], passed: asyncio.Event) -> int:
        """Send a claimed batch; each outcome goes to the recorder as soon as it is known (not
        when the whole batch is done). Returns once every outcome of the batch is written."""
        gate = asyncio.Semaphore(self.concurrency)
        left = len(targets)

        def one_passed() -> None:
            nonlocal left
            left -= 1
            if left <= 0:
                passed.set()

        async def one(target: deliveries.Target) -> asyncio.Future[bool]:
            done = False

            def once() -> None:
                nonlocal done
                if not done:
                    done = True
                    one_passed()

            async with gate:
                result = await self._send(target, once)
            return self.recorder.add(result)

        written = await asyncio.gather(*(one(t) for t in targets))
        passed.set()
        self.recorder.kick()  # the batch is all answered: no reason to wait out the interval
        continuing = await asyncio.gather(*written)
        if any(continuing):
            self.wake()
        return len(targets)

    async def _send(self, target: deliveries.Target, passed: Callable[[], None]) -> deliveries.Result:
        """One network call, and what came of it (nothing is written here)."""
        job = target.job
        Result, Outcome = deliveries.Result, deliveries.Outcome
        try:
            if target.channel is None or target.chat_id is None:
                return Result(job.delivery_id, Outcome.BLOCKED, error="no reachable channel")
            adapter, budget = self.channels[target.channel], self.budgets[target.channel]
            messages = adapter.render(job)
            if job.chunk_index >= len(messages):
                return Result(job.delivery_id, Outcome.FAILED, error="nothing to send")
            try:
                # a section the person asked for is an answer: it goes before the broadcast
                priority = Priority.REPLY if job.asked and not budget.stopped else Priority.DELIVERY
                await budget.acquire(target.chat_id, priority)
            except Stopped:
                return self._later(job)
            passed()
            try:
                sent = await adapter.send(target.chat_id, messages[job.chunk_index])
            except Unreachable as error:
                return Result(job.delivery_id, Outcome.BLOCKED, error=str(error), unreachable_identity=target.identity_id)
            except RetryAfter as error:
                self.faults.failed(target.channel, "429 Too Many Requests")
                budget.retry_after(target.chat_id, error.seconds)
                when = self.clock.now() + dt.timedelta(seconds=error.seconds)
                return Result(job.delivery_id, Outcome.RETRY, error=str(error), retry_at=when)
            except Unauthorized:
                self._stopped(target.channel)
                return self._later(job)
            except Transient as error:
                self.faults.failed(target.channel, f"sends failed ({_first_line(error)})")
                when = self.clock.now() + deliveries.backoff(job.attempts + 1)
                return Result(job.delivery_id, Outcome.RETRY, error=str(error), retry_at=when, count_attempt=True)
            except Rejected as error:
                log.warning("delivery %s refused by %s: %s", job.delivery_id, target.channel.value, error)
                return Result(job.delivery_id, Outcome.FAILED, error=str(error))
            self.faults.succeeded(target.channel)
            return Result(
                job.delivery_id, Outcome.SENT, channel=target.channel, chat_id=target.chat_id,
                message_id=sent.message_id, chunk_count=len(messages),
            )
        finally:
            passed()

    def _later(self, job: deliveries.Job) -> deliveries.Result:
        """Back in the queue, untouched but for a note: the messenger refused the token."""
        return deliveries.Result(
            job.delivery_id, deliveries.Outcome.RETRY, error=deliveries.TOKEN_REFUSED,
            retry_at=self.clock.now() + STOPPED_RETRY,
        )

    # --- a refused token ---------------------------------------------------------------------------

    def _stopped(self, channel: Channel) -> None:
        """Stop the messenger and try its token again (getMe) until it is accepted."""
        budget = self.budgets[channel]
        if budget.stopped:
            return
        log.error("%s refused the bot's token: sending stopped until it is accepted again", channel.value)
        budget.stop()
        probe = self._probes.get(channel)
        if probe is None or probe.done():
            self._probes[channel] = asyncio.create_task(self._probe(channel), name="outbox-token-probe")

    async def _probe(self, channel: Channel) -> None:
        delay, longest = self.probe_seconds
        while not self._stopping.is_set():
            await asyncio.sleep(delay)
            try:
                await self.channels[channel].check()
            except Unauthorized:
                delay = min(delay * 2, longest)
                continue
            except Exception as error:  # noqa: BLE001 - the messenger is away: try again later
                log.warning("%s token check failed: %s", channel.value, type(error).__name__)
                delay = min(delay * 2, longest)
                continue
            log.info("%s accepts the bot's token again: sending resumes", channel.value)
            self.budgets[channel].resume()
            await self._release_held(channel)
            self.wake()
            if self.on_resumed is not None:
                try:
                    await self.on_resumed(channel)
                except Exception as error:  # noqa: BLE001 - sending goes on regardless
                    log.error("%s: resuming after the token failed: %s", channel.value, type(error).__name__)
            return

    async def _release_held(self, channel: Channel) -> None:
        """The rows put back while the token was refused are due again now."""
        async with self.sessions() as session, session.begin():
            await deliveries.release_held(session, self.clock.now())

    async def close(self) -> None:
        """After :meth:`run` ended: the outcomes waiting are written; the replies still queued get a
        short while, then everything stops."""
        await self.recorder.close()
        await self.flush_replies()
        for task in [*self._reply_tasks.values(), *self._probes.values()]:
            task.cancel()
        await asyncio.gather(*self._reply_tasks.values(), *self._probes.values(), return_exceptions=True)
        for budget in self.budgets.values():
            await budget.close()

    def _count(self, results: Sequence[deliveries.Result]) -> None:
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


def _log_failure(task: asyncio.Task[int]) -> None:
    """A round that could not record its outcomes: its rows come back when their lease ends."""
    if not task.cancelled() and task.exception() is not None:
        log.error("a round of deliveries failed: %s: %s", type(task.exception()).__name__, task.exception())
