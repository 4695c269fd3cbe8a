"""The legal clock of Luật Thực hiện dân chủ ở cơ sở 10/2022/QH15 for an agency.

Two rules bind a disclosure campaign:

* Art. 47.2: the information is published no later than 05 working days from the
  decision. Following the Civil Code (Bộ luật Dân sự 2015, Art. 147) the decision
  day is not counted: a decision on day D must be published by the fifth working
  day after D (:func:`publication_deadline`). A later start is lawful to record but
  not to do silently: it is a warning the clerk confirms with ``--force``.
* Art. 48.1: the information stays available at least 20 continuous days from the
  day publication starts.

How the window is counted. A window of ``days`` days starting on day S covers the
calendar days S, S+1, …, S+days-1, all inclusive; :func:`window_end` returns that
last day. The window opens at 00:00 local time on S and closes at 24:00 local
time on its last day (:func:`window_bounds_utc`), so a 20-day window is exactly
20 × 24 hours of availability, however late on S the first message goes out. An
agency that wants a margin over the stricter reading of Art. 147 (first day not
counted at all) simply chooses 21 days.

A consultation campaign (lấy ý kiến góp ý, Art. 53–55) has no legal minimum, but it
must have a deadline for comments (Art. 55.1 asks the plan to set one).

Findings are :class:`Issue` values carrying a catalogue key and display-ready
values, so any front end prints them in Vietnamese with ``issue.message()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.calendar import WorkCalendar
from bot.domain.dates import format_date_vi
from bot.domain.enums import CampaignKind
from bot.domain.texts import t

PUBLICATION_WORKING_DAYS = 5
"""Art. 47.2: publish within 05 working days of the decision."""

MIN_WINDOW_DAYS = 20
"""Art. 48.1: available at least 20 continuous days (an agency's staff)."""


class Severity(StrEnum):
    ERROR = "error"  # refused; nothing can override it
    WARNING = "warning"  # allowed only when the clerk insists (--force)
    INFO = "info"  # worth saying, changes nothing


@dataclass(frozen=True)
class Issue:
    """One finding of the legal clock."""

    key: str
    severity: Severity
    values: Mapping[str, str] = field(default_factory=dict)

    @property
    def needs_force(self) -> bool:
        return self.severity is Severity.WARNING

    def message(self) -> str:
        """The finding in Vietnamese."""
        return t(self.key, **self.values)

    @property
    def severity_label(self) -> str:
        """``Lỗi`` / ``Cảnh báo`` / ``Lưu ý``."""
        return t(f"legal.severity.{self.severity.value}")


class WindowError(ValueError):
    """A window the law or the product refuses; ``str(error)`` is Vietnamese."""

    def __init__(self, issue: Issue) -> None:
        self.issue = issue
        super().__init__(issue.message())


def blocking(issues: list[Issue], *, force: bool = False) -> list[Issue]:
    """The issues that stop the action: errors always, warnings unless ``force``."""
    return [
        i
        for i in issues
        if i.severity is Severity.ERROR or (i.severity is Severity.WARNING and not force)
    ]


# --- Art. 47.2: when publication must start --------------------------------------


def publication_deadline(decided_on: date, cal: WorkCalendar) -> date:
    """The last day publication may start: the 5th working day after the decision."""
    return cal.add_working_days(decided_on, PUBLICATION_WORKING_DAYS)


def check_start(decided_on: date, start: date, cal: WorkCalendar) -> list[Issue]:
    """Check a window start against the decision date (Art. 47.2).

    * start before the decision: error (nothing is published before it exists);
    * start after the deadline: warning, needs force (the law was missed; the
      campaign still records the true dates);
    * start on a non-working day: information (the law counts calendar days for the
      window, but the first section goes out on the next working day).
    """
    issues: list[Issue] = []
    if start < decided_on:
        issues.append(
            Issue(
                "legal.start_before_decision",
                Severity.ERROR,
                {"start": format_date_vi(start), "decided": format_date_vi(decided_on)},
            )
        )
        return issues
    deadline = publication_deadline(decided_on, cal)
    if start > deadline:
        issues.append(
            Issue(
                "legal.start_late",
                Severity.WARNING,
                {
                    "start": format_date_vi(start),
                    "decided": format_date_vi(decided_on),
                    "deadline": format_date_vi(deadline),
                    "limit": str(PUBLICATION_WORKING_DAYS),
                    # A start on a day off is as late as the next working day.
                    "late": str(
                        cal.working_days_between(
                            deadline, cal.next_working_day(start, inclusive=True)
                        )
                    ),
                },
            )
        )
    if not cal.is_working_day(start):
        issues.append(
            Issue(
                "legal.start_not_working_day",
                Severity.INFO,
                {
                    "start": format_date_vi(start),
                    "first": format_date_vi(cal.next_working_day(start)),
                },
            )
        )
    return issues


# --- Art. 48.1: how long it stays available ----------------------------------------


def minimum_days(kind: CampaignKind | str) -> int:
    """The shortest window the product accepts for ``kind``."""
    return MIN_WINDOW_DAYS if CampaignKind(kind) is CampaignKind.DISCLOSURE else 1


def window_end(
    start: date, days: int = MIN_WINDOW_DAYS, kind: CampaignKind | str = CampaignKind.DISCLOSURE
) -> date:
    """The last day (inclusive) of a window of ``days`` days starting on ``start``.

    ``window_end(S, 20) == S + 19 days``. Raises :class:`WindowError` when ``days``
    is below the minimum for ``kind`` (20 for a disclosure, 1 for a consultation).
    """
    minimum = minimum_days(kind)
    if days < minimum:
        raise WindowError(_too_short(days, minimum, kind))
    return start + timedelta(days=days - 1)


def window_days(start: date, end: date) -> int:
    """How many days the window ``start``..``end`` (both inclusive) covers."""
    return (end - start).days + 1


def window_bounds_utc(start: date, end: date, tz: str | tzinfo) -> tuple[datetime, datetime]:
    """The instants the window opens and closes: local midnight on ``start``, local
    midnight after ``end``, both as aware UTC datetimes."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    opens = datetime.combine(start, time(0), tzinfo=zone)
    closes = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
    return opens.astimezone(timezone.utc), closes.astimezone(timezone.utc)


def check_window(
    start: date, end: date | None, kind: CampaignKind | str = CampaignKind.DISCLOSURE
) -> list[Issue]:
    """Check a window's end: present, not before the start, long enough for ``kind``."""
    kind = CampaignKind(kind)
    if end is None:
        key = (
            "legal.consultation_needs_deadline"
            if kind is CampaignKind.CONSULTATION
            else "legal.window_needs_end"
        )
        return [Issue(key, Severity.ERROR, {"start": format_date_vi(start)})]
    if end < start:
        return [
            Issue(
                "legal.window_end_before_start",
                Severity.ERROR,
                {"start": format_date_vi(start), "end": format_date_vi(end)},
            )
        ]
    days = window_days(start, end)
    minimum = minimum_days(kind)
    if days < minimum:
        return [_too_short(days, minimum, kind)]
    return []


def check_campaign(
    decided_on: date,
    start: date,
    end: date | None,
    cal: WorkCalendar,
    kind: CampaignKind | str = CampaignKind.DISCLOSURE,
) -> list[Issue]:
    """Everything the legal clock says about a planned campaign."""
    return check_start(decided_on, start, cal) + check_window(start, end, kind)


def _too_short(days: int, minimum: int, kind: CampaignKind | str) -> Issue:
    if CampaignKind(kind) is CampaignKind.DISCLOSURE:
        return Issue(
            "legal.window_too_short",
            Severity.ERROR,
            {"days": str(days), "minimum": str(minimum)},
        )
    return Issue("legal.window_empty", Severity.ERROR, {"days": str(days)})
