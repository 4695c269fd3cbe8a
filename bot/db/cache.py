"""What a process keeps in memory about its database: derived values that are costly to work
out again (a document's sections, a campaign's drip plan, each member's due times) and the
tick's watermarks. One object, owned by whoever builds the session factory (the runtime), and
reached from a session (``cache_of``): nothing at module level, so two bots in one process
(tests, the simulator) never share notes, and every area is bounded.

Everything here can be lost at any time: the database stays the truth, and a value missing
from the cache is worked out again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

# Entries kept per area, the oldest used dropped first.
LIMITS: dict[str, int] = {
    "sections": 256,  # document id -> its sections
    "plans": 256,  # a campaign's drip plan
    # (plan, member, audience) -> each section's due time for that person: a dict of 40 times is
    # about 3 KB, and the tick walks the audience in order, so an audience larger than this
    # misses every time anyway; 5,000 keeps small agencies' ticks cheap and a province's bot small
    "dues": 5_000,
    "catch_ups": 4_096,  # (plan, joined) -> the catch-up plan of a late joiner
    "watermarks": 1_024,  # campaign -> (audience, next due time): the tick skips until then
    "reminders": 1_024,  # (campaign, day) -> who was reachable when that day was worked out
}
DEFAULT_LIMIT = 1_024


class Cache:
    """Named areas, each a bounded LRU map."""

    def __init__(self, limits: dict[str, int] | None = None) -> None:
        self.limits = {**LIMITS, **(limits or {})}
        self._areas: dict[str, OrderedDict[Hashable, Any]] = {}

    def _area(self, area: str) -> OrderedDict[Hashable, Any]:
        found = self._areas.get(area)
        if found is None:
            found = self._areas[area] = OrderedDict()
        return found

    def get(self, area: str, key: Hashable, default: Any = None) -> Any:
        entries = self._area(area)
        if key not in entries:
            return default
        entries.move_to_end(key)
        return entries[key]

    def put(self, area: str, key: Hashable, value: Any) -> None:
        entries = self._area(area)
        entries[key] = value
        entries.move_to_end(key)
        limit = self.limits.get(area, DEFAULT_LIMIT)
        while len(entries) > limit:
            entries.popitem(last=False)

    def memo(self, area: str, key: Hashable, compute: Callable[[], T]) -> T:
        """The value under ``key``, worked out (and kept) when missing."""
        entries = self._area(area)
        if key in entries:
            entries.move_to_end(key)
            return entries[key]  # type: ignore[no-any-return]
        value = compute()
        self.put(area, key, value)
        return value

    def invalidate(self, area: str | None = None, key: Hashable | None = None) -> None:
        """Forget one entry, one area, or everything."""
        if area is None:
            self._areas.clear()
        elif key is None:
            self._areas.pop(area, None)
        else:
            self._area(area).pop(key, None)

    def size(self, area: str) -> int:
        return len(self._areas.get(area, ()))


def cache_of(session: AsyncSession) -> Cache:
    """The cache of the session factory this session came from (or, for a session made
    without one, a cache of its own)."""
    cache = session.info.get("cache")
    if cache is None:
        cache = session.info["cache"] = Cache()
    return cache  # type: ignore[no-any-return]
