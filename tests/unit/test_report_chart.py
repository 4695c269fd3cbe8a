"""The chart stays a photo Telegram accepts however many departments an agency has."""

from __future__ import annotations

import datetime as dt
import struct
from types import SimpleNamespace

from bot.reports import charts
from bot.services.counts import Row
from bot.services.report_data import Report


def _report(departments: int) -> Report:
    rows = [Row(f"Phòng {n:03d}", members=10, all_confirmed=n % 11) for n in range(departments)]
    item = SimpleNamespace(
        counts=SimpleNamespace(rows=rows), daily=[(dt.date(2026, 3, 2) + dt.timedelta(days=d), d) for d in range(20)],
        campaign=SimpleNamespace(id=1), title="Quy chế dân chủ",
    )
    return Report("Cơ quan", "Asia/Ho_Chi_Minh", dt.datetime(2026, 3, 25, tzinfo=dt.UTC), None, [item])  # type: ignore[list-item]


def test_a_chart_of_300_departments_is_within_telegram_photo_limits() -> None:
    for departments in (1, 12, 300):
        data = charts.to_png(_report(departments))
        width, height = struct.unpack(">II", data[16:24])
        assert width + height <= 10_000 and max(width, height) <= 20 * min(width, height), (departments, width, height)
