"""Vietnamese dates, as administrative documents and chat messages write them.

Day and month follow the rule of Nghị định 30/2020/NĐ-CP (Phụ lục I): a day below
10 and the months 1 and 2 take a leading zero, other months do not, so a digit
cannot be added in front later ("ngày 07 tháng 3 năm 2023", "ngày 30 tháng 01 năm
2024", "14/8/2023", "29/02/2024"). The plans in the seeds write dates this way.

Every word a person reads comes from the catalogue.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from bot.domain.texts import t

_WEEKDAY_KEYS = (
    "date.weekday.mon",
    "date.weekday.tue",
    "date.weekday.wed",
    "date.weekday.thu",
    "date.weekday.fri",
    "date.weekday.sat",
    "date.weekday.sun",
)

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})")


class DateError(ValueError):
    """Bad date input; ``str(error)`` is the Vietnamese message for the person who typed it."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(t(key, **values))


def _day(d: date) -> str:
    return f"{d.day:02d}"


def _month(d: date) -> str:
    return f"{d.month:02d}" if d.month < 3 else str(d.month)


def format_date_vi(d: date) -> str:
    """Long form for documents and reports: ``ngày 07 tháng 3 năm 2023``."""
    return t("date.long", day=_day(d), month=_month(d), year=d.year)


def format_date_short_vi(d: date) -> str:
    """Short form for chat and tables: ``07/3/2023``, ``05/01/2024``."""
    return t("date.short", day=_day(d), month=_month(d), year=d.year)


def _zone(tz: str | tzinfo) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def format_datetime_vi(dt: datetime, tz: str | tzinfo) -> str:
    """Short form of an instant in the local zone ``tz``: ``08:15 ngày 07/3/2023``.

    ``dt`` must be timezone-aware: the project stores UTC, and a naive datetime here
    would be read in the wrong zone without anyone noticing.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("format_datetime_vi needs a timezone-aware datetime")
    local = dt.astimezone(_zone(tz))
    return t(
        "date.datetime_short",
        time=f"{local.hour:02d}:{local.minute:02d}",
        date=format_date_short_vi(local.date()),
    )


def weekday_vi(d: date) -> str:
    """``Thứ Hai`` … ``Thứ Bảy``, ``Chủ nhật``."""
    return t(_WEEKDAY_KEYS[d.weekday()])


def parse_date(s: str) -> date:
    """Read a date typed by the clerk: ``2026-11-23``, ``23/11/2026``, ``23-11-2026``.

    Day-first forms also accept one-digit day and month (``7/3/2023``) and dots.
    Raises :class:`DateError` (a ``ValueError``) with a Vietnamese message.
    """
    text = s.strip()
    if m := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in m.groups())
    elif m := _DAY_FIRST.fullmatch(text):
        day, month, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
    else:
        raise DateError("date.invalid", value=s)
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError("date.no_such_day", value=text) from None
