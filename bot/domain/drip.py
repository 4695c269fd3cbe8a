"""The drip plan: when each section of a regulation goes out during the window.

The law asks for availability (the full text stays readable on demand for the whole
window); the drip is a reading pace. Its rules:

* sections go out in order, on working days only, never before the window start;
* the last ``reminder_days`` working days of the window (3 by default) carry no new
  section, so reminders and the last call have room. The tail shrinks on a short
  window so that it never takes more than half of the working days (a window of 1
  or 2 working days has no tail);
* when there are fewer sections than drip days, at most one a day, spread evenly
  over the drip days, the first on the first working day;
* when there are more, every drip day gets at least one, and the sections are cut
  into contiguous runs whose reading load (in chunks, i.e. messages) is as even as
  possible: the split minimises the sum of squared daily loads, and where it
  could go either way the earlier days carry more;
* within a day the sections go out in order at evenly spaced times inside the
  morning send window, the first at the window's opening.

Each person's copy is then shifted by :func:`stagger` so that an agency of 2,000
does not receive everything at 08:00:00; the shift is the same for all of one
person's sections, so their order is kept. ``plan.stagger_budget`` is the largest
spread that keeps every copy inside the send window and before the person's next
section that day.

Someone added after the campaign started gets :func:`catch_up_plan`: while behind,
each working day brings what the plan puts on that day plus up to ``per_day`` (3)
of the backlog, starting at once if the send window is open; once caught up, the
rest keeps its planned time. The pace rises if needed to finish by the last
working day of the window.

Times in, times out: dates are local calendar days, due times are aware UTC
datetimes, nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.calendar import WorkCalendar
from bot.domain.dates import format_date_short_vi, weekday_vi
from bot.domain.legal import Issue, Severity
from bot.domain.texts import t

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_REMINDER_DAYS = 3
DEFAULT_CATCH_UP_PER_DAY = 3


class DripError(ValueError):
    """A plan that cannot be made; ``str(error)`` is the Vietnamese reason."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(t(key, **values))


@dataclass(frozen=True)
class SendWindow:
    """The local hours in which sections go out (default 08:00–10:30)."""

    start: time = time(8, 0)
    end: time = time(10, 30)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("SendWindow takes local wall-clock times without tzinfo")
        if self.start >= self.end:
            raise DripError(
                "drip.bad_send_window",
                start=self.start.strftime("%H:%M"),
                end=self.end.strftime("%H:%M"),
            )

    @property
    def duration(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)

    def opens(self, day: date, zone: ZoneInfo) -> datetime:
        return datetime.combine(day, self.start, tzinfo=zone)

    def closes(self, day: date, zone: ZoneInfo) -> datetime:
        return datetime.combine(day, self.end, tzinfo=zone)


class SectionSize(NamedTuple):
    """A section to send: its ordinal in the document and how many messages it takes."""

    ordinal: int
    chunks: int = 1


@dataclass(frozen=True)
class ScheduledSection:
    ordinal: int
    chunks: int
    day: date  # the local calendar day
    due_local: datetime  # aware, in the plan's time zone
    due_utc: datetime  # aware, UTC: what is stored


class DayRole(StrEnum):
    DRIP = "drip"  # sections may go out
    REMINDER = "reminder"  # the tail: reminders and the last call only


@dataclass(frozen=True)
class DaySummary:
    """One working day of a plan, as a row of the table ``campaign plan`` prints."""

    day: date
    role: DayRole
    ordinals: tuple[int, ...]
    chunks: int

    @property
    def weekday(self) -> str:
        return weekday_vi(self.day)

    @property
    def sections_label(self) -> str:
        if self.ordinals:
            return format_ranges(self.ordinals)
        if self.role is DayRole.REMINDER:
            return t("drip.table.reminder_day")
        return t("drip.table.no_section")

    def row(self) -> tuple[str, str, str, str]:
        """(date, weekday, sections, chunks), all in Vietnamese."""
        return (format_date_short_vi(self.day), self.weekday, self.sections_label, str(self.chunks))


def table_header() -> tuple[str, str, str, str]:
    """Column titles matching :meth:`DaySummary.row`."""
    return (
        t("drip.table.date"),
        t("drip.table.weekday"),
        t("drip.table.sections"),
        t("drip.table.chunks"),
    )


@dataclass(frozen=True)
class DripPlan:
    items: tuple[ScheduledSection, ...]  # in section order
    days: tuple[DaySummary, ...]  # every working day of the window, in order
    window_start: date
    window_end: date
    send_window: SendWindow
    timezone: str
    reminder_days_requested: int
    reminder_days: tuple[date, ...]  # the tail actually kept
    stagger_budget: timedelta
    notes: tuple[Issue, ...] = field(default=())

    @property
    def drip_days(self) -> tuple[date, ...]:
        return tuple(s.day for s in self.days if s.role is DayRole.DRIP)

    @property
    def last_due_utc(self) -> datetime | None:
        return self.items[-1].due_utc if self.items else None

    def due_by_ordinal(self) -> dict[int, datetime]:
        return {item.ordinal: item.due_utc for item in self.items}

    def rows(self) -> list[tuple[str, str, str, str]]:
        return [day.row() for day in self.days]


@dataclass(frozen=True)
class CatchUpPlan:
    """A later joiner's own schedule."""

    items: tuple[ScheduledSection, ...]  # in section order
    pace: int  # catch-up sections per working day actually used
    caught_up: tuple[int, ...]  # ordinals moved off the common plan

    def due_by_ordinal(self) -> dict[int, datetime]:
        return {item.ordinal: item.due_utc for item in self.items}

    @property
    def days(self) -> tuple[DaySummary, ...]:
        by_day: dict[date, list[ScheduledSection]] = {}
        for item in self.items:
            by_day.setdefault(item.day, []).append(item)
        return tuple(
            DaySummary(d, DayRole.DRIP, tuple(i.ordinal for i in its), sum(i.chunks for i in its))
            for d, its in by_day.items()
        )


# --- the common plan ------------------------------------------------------------


def plan_drip(
    sections: Iterable[SectionSize | tuple[int, int]],
    window_start: date,
    window_end: date,
    cal: WorkCalendar,
    *,
    send_window: SendWindow = SendWindow(),
    tz: str = DEFAULT_TIMEZONE,
    reminder_days: int = DEFAULT_REMINDER_DAYS,
) -> DripPlan:
    """Plan when each section is due. ``sections`` are (ordinal, chunks), any order."""
    if reminder_days < 0:
        raise ValueError("reminder_days must not be negative")
    zone = _zone(tz)
    ordered = _validated(sections)

    working = cal.working_days(window_start, window_end)
    if not working:
        raise DripError(
            "drip.no_working_days",
            start=format_date_short_vi(window_start),
            end=format_date_short_vi(window_end),
        )
    tail = min(reminder_days, (len(working) - 1) // 2)
    drip_days = working[: len(working) - tail]
    tail_days = tuple(working[len(working) - tail :])

    day_of = _assign_days([s.chunks for s in ordered], len(drip_days))
    per_day: dict[int, list[SectionSize]] = {}
    for section, index in zip(ordered, day_of):
        per_day.setdefault(index, []).append(section)

    items: list[ScheduledSection] = []
    for index, todays in sorted(per_day.items()):
        day = drip_days[index]
        for slot, section in zip(_slots(day, len(todays), send_window, zone), todays):
            items.append(_scheduled(section, day, slot))

    largest_day = max((len(v) for v in per_day.values()), default=1)
    summaries = [
        DaySummary(
            day,
            DayRole.DRIP,
            tuple(s.ordinal for s in per_day.get(i, [])),
            sum(s.chunks for s in per_day.get(i, [])),
        )
        for i, day in enumerate(drip_days)
    ] + [DaySummary(day, DayRole.REMINDER, (), 0) for day in tail_days]

    notes: list[Issue] = []
    if tail < reminder_days:
        notes.append(
            Issue(
                "drip.tail_shrunk",
                Severity.INFO,
                {
                    "requested": str(reminder_days),
                    "kept": str(tail),
                    "working_days": str(len(working)),
                },
            )
        )
    return DripPlan(
        items=tuple(items),
        days=tuple(summaries),
        window_start=window_start,
        window_end=window_end,
        send_window=send_window,
        timezone=tz,
        reminder_days_requested=reminder_days,
        reminder_days=tail_days,
        stagger_budget=_whole_seconds(send_window.duration / largest_day),
        notes=tuple(notes),
    )


def stagger(due_utc: datetime, member_index: int, members: int, spread_minutes: float) -> datetime:
    """One person's copy of a due time, shifted by their place in the audience.

    Member ``i`` of ``n`` is shifted by ``i/n`` of the spread (whole seconds), so the
    copies are evenly spread over ``[due, due + spread)``. Deterministic: the same
    person gets the same shift for every section, so their order is kept.
    """
    if members < 1 or not 0 <= member_index < members:
        raise ValueError(f"member_index {member_index} out of range for {members} members")
    if spread_minutes < 0:
        raise ValueError("spread_minutes must not be negative")
    spread_seconds = int(spread_minutes * 60)
    return due_utc + timedelta(seconds=member_index * spread_seconds // members)


# --- later joiners ----------------------------------------------------------------


def catch_up_plan(
    plan: DripPlan,
    joined_at: datetime,
    cal: WorkCalendar,
    *,
    per_day: int = DEFAULT_CATCH_UP_PER_DAY,
) -> CatchUpPlan:
    """The schedule of someone who joins at ``joined_at`` (aware).

    While the person is behind, each working day carries the sections the plan
    puts on that day plus up to ``per_day`` of the backlog, in order, evenly spaced
    inside the send window; on the first day from ``joined_at`` if the window is
    open then, else from the next opening. As soon as the next section's planned
    time has not passed, the rest keep their planned times. If ``per_day`` cannot
    catch up by the last working day of the window, it rises until it can (or the
    whole backlog goes on the first catch-up day).
    """
    if joined_at.tzinfo is None or joined_at.utcoffset() is None:
        raise ValueError("joined_at must be timezone-aware")
    if per_day < 1:
        raise ValueError("per_day must be at least 1")
    zone = _zone(plan.timezone)
    now = joined_at.astimezone(zone)
    items = plan.items
    last_day = cal.previous_working_day(plan.window_end, inclusive=True)
    pace = per_day
    while True:
        result, caught_up = _catch_up(items, now, pace, plan.send_window, zone, cal)
        # the caught-up sections are the first ones of ``result``
        if pace >= len(items) or not caught_up or result[len(caught_up) - 1].day <= last_day:
            return CatchUpPlan(tuple(result), pace, caught_up)
        pace += 1


def _catch_up(
    items: Sequence[ScheduledSection],
    now: datetime,
    pace: int,
    window: SendWindow,
    zone: ZoneInfo,
    cal: WorkCalendar,
) -> tuple[list[ScheduledSection], tuple[int, ...]]:
    result: list[ScheduledSection] = []
    caught_up: list[int] = []
    pending = list(items)
    for day, begins in _catch_up_days(now, window, zone, cal):
        if not pending or pending[0].due_local >= begins:
            break  # not behind: the rest as planned
        behind_or_today = sum(1 for item in pending if item.day <= day)
        planned_today = sum(1 for item in pending if item.day == day)
        count = min(behind_or_today, planned_today + pace)
        todays, pending = pending[:count], pending[count:]
        for item, due in zip(todays, _spread(begins, window.closes(day, zone), count)):
            result.append(_scheduled(SectionSize(item.ordinal, item.chunks), day, due))
            caught_up.append(item.ordinal)
    return result + pending, tuple(caught_up)


def _catch_up_days(
    now: datetime, window: SendWindow, zone: ZoneInfo, cal: WorkCalendar
) -> Iterable[tuple[date, datetime]]:
    """The joiner's sending days and the moment each begins: today from now if the
    send window is still open, then every following working day from its opening."""
    today = now.date()
    if cal.is_working_day(today) and now < window.closes(today, zone):
        yield today, max(now, window.opens(today, zone))
    day = today
    while True:
        day = cal.next_working_day(day)
        yield day, window.opens(day, zone)


# --- helpers ------------------------------------------------------------------------


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise DripError("drip.bad_timezone", tz=tz) from None


def _validated(sections: Iterable[SectionSize | tuple[int, int]]) -> list[SectionSize]:
    ordered = sorted((SectionSize(*s) for s in sections), key=lambda s: s.ordinal)
    for previous, current in zip(ordered, ordered[1:]):
        if previous.ordinal == current.ordinal:
            raise DripError("drip.duplicate_section", ordinal=current.ordinal)
    for s in ordered:
        if s.chunks < 1:
            raise DripError("drip.bad_chunks", ordinal=s.ordinal, chunks=s.chunks)
    return ordered


def _scheduled(section: SectionSize, day: date, due_local: datetime) -> ScheduledSection:
    return ScheduledSection(
        ordinal=section.ordinal,
        chunks=section.chunks,
        day=day,
        due_local=due_local,
        due_utc=due_local.astimezone(timezone.utc),
    )


def _slots(day: date, count: int, window: SendWindow, zone: ZoneInfo) -> list[datetime]:
    """``count`` evenly spaced local times in the send window of ``day``."""
    return _spread(window.opens(day, zone), window.closes(day, zone), count)


def _spread(begins: datetime, ends: datetime, count: int) -> list[datetime]:
    """``count`` evenly spaced times in ``[begins, ends)``, the first at ``begins``;
    offsets in whole seconds unless the span is too short for that."""
    span = ends - begins
    seconds = int(span.total_seconds())
    if seconds >= count:
        return [begins + timedelta(seconds=seconds * j // count) for j in range(count)]
    return [begins + span * j // count for j in range(count)]


def _whole_seconds(delta: timedelta) -> timedelta:
    return timedelta(seconds=int(delta.total_seconds()))


def _assign_days(chunks: Sequence[int], days: int) -> list[int]:
    """The drip-day index of each section (sections in order, days >= 1)."""
    n = len(chunks)
    if n <= days:
        return [i * days // n for i in range(n)]
    return _balanced_partition(chunks, days)


def _balanced_partition(chunks: Sequence[int], days: int) -> list[int]:
    """Cut ``chunks`` into ``days`` contiguous non-empty runs minimising the sum of
    squared run totals; return the run index of each element.

    Dynamic programming over (days used, sections placed); the best cut point is
    monotone in the number of sections placed (the cost is convex), so each layer
    is solved by divide and conquer in O(n log n).
    """
    n = len(chunks)
    prefix = [0]
    for c in chunks:
        prefix.append(prefix[-1] + c)
    inf = float("inf")
    previous = [0.0] + [inf] * n  # cost with 0 runs
    cuts: list[list[int]] = []

    for k in range(1, days + 1):
        current = [inf] * (n + 1)
        cut = [0] * (n + 1)

        def solve(lo: int, hi: int, opt_lo: int, opt_hi: int) -> None:
            if lo > hi:
                return
            mid = (lo + hi) // 2
            best, best_j = inf, opt_lo
            for j in range(opt_lo, min(mid - 1, opt_hi) + 1):
                if previous[j] == inf:
                    continue
                load = prefix[mid] - prefix[j]
                cost = previous[j] + load * load
                if cost <= best:  # ties: the later cut, so earlier days carry more
                    best, best_j = cost, j
            current[mid], cut[mid] = best, best_j
            solve(lo, mid - 1, opt_lo, best_j)
            solve(mid + 1, hi, best_j, opt_hi)

        solve(k, n, k - 1, n - 1)
        cuts.append(cut)
        previous = current

    assignment = [0] * n
    end = n
    for k in range(days, 0, -1):
        start = cuts[k - 1][end]
        for i in range(start, end):
            assignment[i] = k - 1
        end = start
    return assignment


def format_ranges(ordinals: Sequence[int]) -> str:
    """``(1, 2, 3, 5)`` → ``1–3, 5``."""
    parts: list[str] = []
    run_start = previous = ordinals[0]
    for o in list(ordinals[1:]) + [None]:
        if o is not None and o == previous + 1:
            previous = o
            continue
        parts.append(str(run_start) if run_start == previous else f"{run_start}–{previous}")
        if o is not None:
            run_start = previous = o
    return ", ".join(parts)
