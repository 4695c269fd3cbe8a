"""Flood control as Telegram applies it: an overall rate per bot and a rate per chat, with bursts.

Token buckets on a monotonic clock. A refused send does not spend a token, and the caller is told
how many whole seconds to wait (Telegram's ``retry_after`` is an integer, at least 1). As on
Telegram, ``retry_after`` is "the number of seconds left to wait before the request can be
repeated": a send that comes back sooner is refused again, even if a token came back meanwhile.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float
    updated: float
    blocked_until: float = 0.0  # a 429 was answered: refused until then

    def wait_at(self, now: float) -> float:
        return max(self.wait(), self.blocked_until - now)

    def refill(self, now: float, rate: float, capacity: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens = min(capacity, self.tokens + max(0.0, now - self.updated) * rate)
        self.updated = now

    def wait(self) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        if self.tokens >= 1.0:
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (1.0 - self.tokens) / self.rate


class RateLimiter:
    """An overall bucket plus one bucket per chat; both must have a token for a send to pass."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._overall: TokenBucket | None = None
        self._chats: dict[Hashable, TokenBucket] = {}

    def reset(self) -> None:
        self._overall = None
        self._chats.clear()

    def acquire(
        self,
        chat_id: Hashable,
        *,
        overall_rate: float,
        overall_burst: float,
        per_chat_rate: float,
        per_chat_burst: float,
    ) -> int | None:
        """Spend one token of each bucket, or return ``retry_after`` seconds and spend nothing.

        A rate of 0 or less switches that limit off.
        """
        now = self._monotonic()
        buckets: list[TokenBucket] = []
        if overall_rate > 0:
            if self._overall is None:
                self._overall = TokenBucket(overall_rate, overall_burst, overall_burst, now)
            self._overall.refill(now, overall_rate, max(1.0, overall_burst))
            buckets.append(self._overall)
        if per_chat_rate > 0:
            bucket = self._chats.get(chat_id)
            if bucket is None:
                bucket = self._chats[chat_id] = TokenBucket(per_chat_rate, per_chat_burst, per_chat_burst, now)
            bucket.refill(now, per_chat_rate, max(1.0, per_chat_burst))
            buckets.append(bucket)
        waits = [(b, b.wait_at(now)) for b in buckets]
        wait = max((w for _, w in waits), default=0.0)
        if wait > 0:
            retry_after = max(1, math.ceil(wait)) if math.isfinite(wait) else 3600
            for bucket, own in waits:
                if own > 0 and bucket.blocked_until <= now:  # a new refusal: hold the client to it
                    bucket.blocked_until = now + retry_after
            return retry_after
        for bucket in buckets:
            bucket.tokens -= 1.0
        return None
