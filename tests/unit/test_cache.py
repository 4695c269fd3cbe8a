"""The runtime's cache: bounded areas, least recently used dropped first, invalidation."""

from __future__ import annotations

from bot.db.cache import Cache


def test_areas_are_bounded_and_forget_the_least_recently_used() -> None:
    cache = Cache({"sections": 3})
    for key in range(3):
        cache.put("sections", key, key)
    assert cache.get("sections", 0) == 0  # used: kept
    cache.put("sections", 3, 3)
    assert cache.size("sections") == 3
    assert cache.get("sections", 1) is None and cache.get("sections", 0) == 0


def test_memo_and_invalidation() -> None:
    cache = Cache()
    calls: list[int] = []
    assert cache.memo("plans", "a", lambda: calls.append(1) or 7) == 7
    assert cache.memo("plans", "a", lambda: calls.append(1) or 8) == 7
    cache.invalidate("plans", "a")
    assert cache.memo("plans", "a", lambda: calls.append(1) or 9) == 9
    cache.invalidate()
    assert cache.size("plans") == 0 and len(calls) == 2
