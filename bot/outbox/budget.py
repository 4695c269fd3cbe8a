"""One messenger's send budget: every message to that messenger, a reply or a queued
delivery, waits here for its turn.

- The overall rate is aiolimiter's leaky bucket (the one python-telegram-bot's
  ``AIORateLimiter`` is built on), with a burst of a third of a second: enough to catch up
  after the event loop was busy (many people writing at once), small enough that the
  messenger's own bucket (a second's worth on Telegram) stays partly full, so the jitter of
  the network does not add up to a 429. Measured in ``bench/outbox.py``: a burst of a full
  second drew 429s on a fifth of a broadcast.
- One chat gets at most ``chat_rate`` messages a second (Telegram: one), in bursts of at most
  ``chat_burst``: several messages due to one person at once go out spaced.
- Replies go first: the turn always goes to the oldest waiting reply whose chat may receive
  now, and a queued delivery takes a turn only when no reply can use it. Among replies, the
  first message of each goes before the second of any (``rank``): when many people write at
  once, everyone hears something first.
- A 429 pauses the chat it answered for ``retry_after``; 429s on several chats at once mean
  the messenger's overall limit, and pause everything.
- A refused token (401) stops everything on this messenger until :meth:`SendBudget.resume`;
  deliveries waiting for a turn are told at once (:class:`Stopped`) and stay queued in the
  database, replies wait in memory.
"""

from __future__ import annotations

import asyncio
import enum
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

GLOBAL_WINDOW = 1.0  # seconds: 429s on this many chats within it are the overall limit
GLOBAL_CHATS = 3
IDLE_CHATS = 10_000  # forget the state of idle chats beyond this many


class Priority(enum.IntEnum):
    REPLY = 0  # the answer to someone's own action
    DELIVERY = 1  # a queued row: sections, announcements, reminders


class Stopped(Exception):
    """The messenger refused the token: a delivery does not wait for a turn (it stays queued)."""


@dataclass
class _Chat:
    tokens: float
    updated: float
    paused_until: float = 0.0


@dataclass(order=True)
class _Waiter:
    priority: int
    rank: int
    seq: int
    chat_id: str
    future: asyncio.Future[None]


class SendBudget:
    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        chat_rate: float = 1.0,
        chat_burst: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fixed_burst = burst
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, round(rate / 3))
        self.limiter = AsyncLimiter(self.burst, self.burst / rate)
        self.chat_rate = chat_rate
        self.chat_burst = max(1.0, chat_burst)
        self._monotonic = monotonic
        self._chats: dict[str, _Chat] = {}
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()
        self._changed = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._token = False  # one overall token taken and not yet given to anyone
        self.paused_until = 0.0
        self.stopped = False  # the token was refused
        self._recent: deque[tuple[float, str]] = deque()
        self.granted = 0
        self.rate_limited = 0

    def set_rate(self, rate: float) -> None:
        """A new overall rate (several processes share the messenger's limit: each takes its
        part). The turn being waited for keeps the old pace; the next ones take the new."""
        if rate <= 0 or rate == self.rate:
            return
        self.rate = rate
        self.burst = self._fixed_burst if self._fixed_burst is not None else max(1.0, round(rate / 3))
        self.limiter = AsyncLimiter(self.burst, self.burst / rate)
        self._changed.set()

    # --- waiting for a turn -------------------------------------------------------------------

    async def acquire(self, chat_id: str, priority: Priority, rank: int = 0) -> None:
        """Wait for this message's turn (overall rate, the chat's spacing, pauses, priority;
        ``rank``: the message's place in its reply)."""
        if self.stopped and priority is Priority.DELIVERY:
            raise Stopped()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, _Waiter(int(priority), rank, next(self._seq), chat_id, future))
        self._changed.set()
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._run(), name="send-budget")
        await future  # cancelled by the caller: the pump skips it

    def waiting(self, priority: Priority | None = None) -> int:
        return sum(1 for w in self._waiters if not w.future.done() and (priority is None or w.priority == priority))

    async def _run(self) -> None:
        while True:
            while self._waiters and self._waiters[0].future.done():
                heapq.heappop(self._waiters)  # granted or given up
            if not self._waiters:
                return
            self._changed.clear()
            now = self._monotonic()
            if self.stopped or now < self.paused_until:
                await self._wait(None if self.stopped else self.paused_until - now)
                continue
            if not self._token:
                await self.limiter.acquire()
                self._token = True
                continue  # look again: a reply may have come while this waited
            waiter, wait = self._next(self._monotonic())
            if waiter is None:
                await self._wait(wait)
                continue
            self._spend(waiter.chat_id)
            self._token = False
            self.granted += 1
            waiter.future.set_result(None)

    def _next(self, now: float) -> tuple[_Waiter | None, float | None]:
        """The first waiter, by priority then age, whose chat may receive now; else how long
        until one may. A chat's messages keep their order: only its oldest waiter may go."""
        top = self._waiters[0]
        if self._chat_wait(top.chat_id, now) <= 0:
            return top, None  # the usual case, without looking further
        live = [w for w in self._waiters if not w.future.done()]
        if len(live) < len(self._waiters) // 2:
            heapq.heapify(live)
            self._waiters = live
        soonest: float | None = None
        seen: set[str] = set()
        for waiter in sorted(live):
            if waiter.future.done() or waiter.chat_id in seen:
                continue
            seen.add(waiter.chat_id)
            wait = self._chat_wait(waiter.chat_id, now)
            if wait <= 0:
                return waiter, None
            soonest = wait if soonest is None else min(soonest, wait)
        return None, soonest

    async def _wait(self, seconds: float | None) -> None:
        try:
            await asyncio.wait_for(self._changed.wait(), seconds)
        except TimeoutError:
            pass

    # --- one chat's spacing -----------------------------------------------------------------

    def _chat(self, chat_id: str, now: float) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= IDLE_CHATS:
                self._forget_idle(now)
            chat = self._chats[chat_id] = _Chat(self.chat_burst, now)
        elif self.chat_rate > 0:
            chat.tokens = min(self.chat_burst, chat.tokens + (now - chat.updated) * self.chat_rate)
            chat.updated = now
        return chat

    def _chat_wait(self, chat_id: str, now: float) -> float:
        chat = self._chat(chat_id, now)
        if now < chat.paused_until:
            return chat.paused_until - now
        if self.chat_rate <= 0 or chat.tokens >= 1.0:
            return 0.0
        return (1.0 - chat.tokens) / self.chat_rate

    def _spend(self, chat_id: str) -> None:
        if self.chat_rate > 0:
            self._chat(chat_id, self._monotonic()).tokens -= 1.0

    def _forget_idle(self, now: float) -> None:
        for key, chat in list(self._chats.items()):
            full = self.chat_rate <= 0 or chat.tokens + (now - chat.updated) * self.chat_rate >= self.chat_burst
            if full and chat.paused_until <= now:
                del self._chats[key]

    # --- what the messenger said --------------------------------------------------------------

    def retry_after(self, chat_id: str, seconds: float) -> None:
        """A 429 for ``chat_id``: pause that chat; several chats at once pause everything."""
        self.rate_limited += 1
        now = self._monotonic()
        until = now + max(seconds, 0.0)
        chat = self._chat(chat_id, now)
        chat.paused_until = max(chat.paused_until, until)
        chat.tokens = min(chat.tokens, 0.0)
        self._recent.append((now, chat_id))
        while self._recent and self._recent[0][0] < now - GLOBAL_WINDOW:
            self._recent.popleft()
        if len({c for _, c in self._recent}) >= GLOBAL_CHATS:
            self.pause(seconds)
        self._changed.set()

    def pause(self, seconds: float) -> None:
        """Pause every chat of this messenger (its overall limit)."""
        self.paused_until = max(self.paused_until, self._monotonic() + max(seconds, 0.0))
        self._changed.set()

    def stop(self) -> None:
        """The token was refused: nothing goes out until :meth:`resume`. Deliveries waiting for a
        turn are told at once, so that they are put back in the queue."""
        self.stopped = True
        for waiter in self._waiters:
            if waiter.priority == Priority.DELIVERY and not waiter.future.done():
                waiter.future.set_exception(Stopped())
        self._changed.set()

    def resume(self) -> None:
        self.stopped = False
        self._changed.set()

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            try:
                await self._pump
            except asyncio.CancelledError:
                pass
            self._pump = None
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.cancel()
