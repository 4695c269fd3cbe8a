"""The sandbox's flood control holds a client to Telegram's word: ``retry_after`` is the time
left before the request can be repeated, per chat and overall."""

from __future__ import annotations

from bot.sandbox.limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def acquire(limiter: RateLimiter, chat: int, **rates: float) -> int | None:
    knobs = {"overall_rate": 0.0, "overall_burst": 1.0, "per_chat_rate": 1.0, "per_chat_burst": 1.0} | rates
    return limiter.acquire(chat, **knobs)


def test_a_chat_that_comes_back_before_retry_after_is_refused_again() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    assert acquire(limiter, 1, per_chat_rate=2.0) is None
    clock.now = 0.1
    assert acquire(limiter, 1, per_chat_rate=2.0) == 1  # a token is back at 0.5 s, but Telegram says 1
    clock.now = 0.6
    assert acquire(limiter, 1, per_chat_rate=2.0) == 1  # too soon: still refused, for the time left
    clock.now = 1.1
    assert acquire(limiter, 1, per_chat_rate=2.0) is None


def test_the_overall_limit_blocks_every_chat_until_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    rates = {"overall_rate": 2.0, "overall_burst": 1.0, "per_chat_rate": 0.0}
    assert acquire(limiter, 1, **rates) is None
    assert acquire(limiter, 2, **rates) == 1
    clock.now = 0.7
    assert acquire(limiter, 3, **rates) == 1  # another chat, still inside the overall pause
    clock.now = 1.0
    assert acquire(limiter, 3, **rates) is None


def test_a_chat_in_a_pause_does_not_hold_back_the_others() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    assert acquire(limiter, 1) is None
    assert acquire(limiter, 1) == 1
    assert acquire(limiter, 2) is None
