"""Small pieces every report renderer shares: local times, percentages, channel names."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.domain.dates import format_date_short_vi, format_datetime_vi
from bot.domain.enums import Channel
from bot.domain.texts import t
from bot.services.heartbeat import Continuity


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%".replace(".", ",") if whole else "—"


def hours(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f}".replace(".", ",")


def channel_names(channels: tuple[Channel, ...] | list[Channel]) -> str:
    return ", ".join(t(f"rpt.channel.{c.value}") for c in channels)


def local_time(value: dt.datetime | None, tz: str) -> str:
    return format_datetime_vi(value, tz) if value is not None else ""


def local_day(value: dt.datetime, tz: str) -> str:
    return format_date_short_vi(value.astimezone(ZoneInfo(tz)).date())


def continuity_line(evidence: Continuity) -> str:
    share = (
        f"{100 * evidence.reachable / evidence.window:.1f}".replace(".", ",") if evidence.window else "0"
    )
    return t("rpt.continuity", reachable=hours(evidence.reachable), window=hours(evidence.window), share=share)


def gap_lines(evidence: Continuity, tz: str) -> list[str]:
    return [
        t("rpt.gap", start=format_datetime_vi(g.start, tz), end=format_datetime_vi(g.end, tz),
          minutes=int(g.length.total_seconds() // 60))
        for g in evidence.gaps
    ]
