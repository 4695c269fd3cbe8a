"""The working-day calendar of a Vietnamese agency.

Working days are Monday to Friday, minus the public holidays of the Labour Code
(Art. 112: Tết Dương lịch, Tết Nguyên Đán, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh,
and from 2026 Ngày Văn hóa Việt Nam) as the ``holidays`` package computes them for
"VN", including:

* the days off in lieu of a holiday that falls on a weekend (``nghỉ bù``);
* the day-off swaps the Government announces for the public sector (for example
  2024: Monday 29/4 off, Saturday 4/5 worked). The package records the worked
  Saturday in ``weekend_workdays``; this calendar honours it. A swap can cross a
  year boundary (2018-12-31 off, 2019-01-05 worked), so a year is looked up
  together with its neighbours.

Tết in a year the Government has not yet announced is the package's estimate. An
agency corrects it, or adds its own decisions, with ``extra_holidays`` (days off)
and ``extra_working_days`` (days worked, a Saturday for instance); both win over
the package.

Day counts follow the Civil Code convention (Bộ luật Dân sự 2015, Art. 147): the
day of the event is not counted, so ``add_working_days(d, 5)`` is the fifth
working day *after* ``d``, and ``working_days_between(a, b)`` counts the working
days in ``(a, b]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import MAXYEAR, MINYEAR, date, timedelta

import holidays

from bot.domain.texts import t

_ONE_DAY = timedelta(days=1)
# A year-long run of non-working days cannot happen; the bound only stops a
# misconfigured calendar (every day an extra holiday) from looping for ever.
_MAX_SEARCH_DAYS = 366


class WorkCalendar:
    """Answers "is this a working day?" and counts working days."""

    def __init__(
        self,
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> None:
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_working_days = frozenset(extra_working_days)
        both = self._extra_holidays & self._extra_working_days
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"dates both extra holiday and extra working day: {listed}")
        self._holidays = holidays.country_holidays("VN", language="vi")
        self._loaded: set[int] = set()
        self._cache: dict[date, bool] = {}

    # --- single days ---------------------------------------------------------

    def _load(self, year: int) -> None:
        """Populate ``year`` and its neighbours, so swaps across New Year are known.

        The package object expands on lookup; touching 1 January loads the year,
        its holidays and its worked weekend days.
        """
        for y in (year - 1, year, year + 1):
            if y not in self._loaded and MINYEAR <= y <= MAXYEAR:
                _ = date(y, 1, 1) in self._holidays
                self._loaded.add(y)

    def is_working_day(self, d: date) -> bool:
        """True on a day staff are at work."""
        cached = self._cache.get(d)
        if cached is not None:
            return cached
        if d in self._extra_working_days:
            result = True
        elif d in self._extra_holidays:
            result = False
        else:
            self._load(d.year)
            if d.weekday() >= 5:
                result = d in self._holidays.weekend_workdays
            else:
                result = d not in self._holidays
        self._cache[d] = result
        return result

    def holiday_name(self, d: date) -> str | None:
        """The Vietnamese name of the holiday on ``d``, or None (a plain weekend is None)."""
        if d in self._extra_working_days:
            return None
        if d in self._extra_holidays:
            return t("date.holiday.extra")
        self._load(d.year)
        return self._holidays.get(d)

    # --- moving and counting ---------------------------------------------------

    def next_working_day(self, d: date, *, inclusive: bool = False) -> date:
        """The first working day after ``d`` (on or after ``d`` when ``inclusive``)."""
        day = d if inclusive else d + _ONE_DAY
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                return day
            day += _ONE_DAY
        raise ValueError(f"no working day within a year after {d.isoformat()}")

    def previous_working_day(self, d: date, *, inclusive: bool = False) -> date:
        """The last working day before ``d`` (on or before ``d`` when ``inclusive``)."""
        day = d if inclusive else d - _ONE_DAY
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                return day
            day -= _ONE_DAY
        raise ValueError(f"no working day within a year before {d.isoformat()}")

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (before it when ``n`` < 0); ``d`` when 0.

        ``d`` itself is never counted, whether it is a working day or not.
        """
        day = d
        for _ in range(abs(n)):
            day = self.next_working_day(day) if n > 0 else self.previous_working_day(day)
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """The signed number of working-day steps from ``a`` to ``b``.

        Forward it counts the working days in ``(a, b]``, backward minus those in
        ``[b, a)``, so that it inverts :meth:`add_working_days`:
        ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        if b < a:
            return -len(self.working_days(b, a - _ONE_DAY))
        return len(self.working_days(a + _ONE_DAY, b))

    def working_days(self, start: date, end: date) -> list[date]:
        """The working days in ``[start, end]``, in order; empty when ``end < start``."""
        days: list[date] = []
        day = start
        while day <= end:
            if self.is_working_day(day):
                days.append(day)
            day += _ONE_DAY
        return days

