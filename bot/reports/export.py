"""One entry point for every report file, used by the command line, the dashboard and the
chat: the data is gathered once by ``bot.services.report_data`` and rendered here.

    filename, data = await render_report(session, campaign_id, "xlsx", now, settings)
    filename, data = await render_period_report(session, "2026-H1", "docx", now, settings)
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.messages import Attachment, Message
from bot.domain.texts import t
from bot.services import report_data
from bot.services.report_data import ReportRefused
from bot.settings import Settings

Format = Literal["xlsx", "csv", "docx", "png"]
FORMATS: tuple[Format, ...] = ("xlsx", "csv", "docx", "png")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "png": "image/png",
}

__all__ = ["FORMATS", "MEDIA_TYPES", "ReportRefused", "chat_files", "render", "render_period_report", "render_report"]


async def render_report(
    session: AsyncSession, campaign_id: int, fmt: Format, now: dt.datetime, settings: Settings,
    progress: Callable[[int], None] | None = None,
) -> tuple[str, bytes]:
    """The report of one campaign as ``(file name, bytes)``. Raises ``ReportRefused`` when the
    campaign does not exist or ``ValueError`` for an unknown format."""
    _check(fmt)
    report = await report_data.for_campaign(session, campaign_id, now, settings.org_name, settings.timezone)
    return f"bao-cao-dot-{campaign_id}.{fmt}", await render(session, report, fmt, progress)


async def render_period_report(
    session: AsyncSession, period: str, fmt: Format, now: dt.datetime, settings: Settings,
    progress: Callable[[int], None] | None = None,
) -> tuple[str, bytes]:
    """Every campaign of a half-year (``2026-H1``) or a year (``2026``)."""
    _check(fmt)
    parsed = report_data.parse_period(period)
    report = await report_data.for_period(session, parsed, now, settings.org_name, settings.timezone)
    return f"bao-cao-{parsed.label.lower()}.{fmt}", await render(session, report, fmt, progress)


async def render(
    session: AsyncSession, report: report_data.Report, fmt: Format, progress: Callable[[int], None] | None = None
) -> bytes:
    # The file libraries (openpyxl, which loads numpy; python-docx; matplotlib) are loaded when
    # a file is made, not by every process that might make one: a bot that only sends stays small.
    from bot.reports import admin_docx, workbook

    if fmt == "xlsx":
        return await workbook.to_xlsx(report, report_data.member_rows(session, report.campaigns), progress)
    if fmt == "csv":
        return await workbook.to_csv(report, report_data.member_rows(session, report.campaigns), progress)
    # Drawing and laying out take a moment of CPU: off the event loop, so the bot keeps answering.
    if fmt == "docx":
        return await asyncio.to_thread(admin_docx.to_docx, report)
    from bot.reports import charts

    return await asyncio.to_thread(charts.to_png, report)


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}")


async def chat_files(session: AsyncSession, now: dt.datetime, org: str, tz: str) -> list[Message]:
    """What ``/baocao`` sends after the counts: for each open campaign, the chart as a photo with
    a one-line summary, then the spreadsheet and the report with its closing minutes as documents."""
    files: list[Message] = []
    for campaign_id in await report_data.open_campaign_ids(session):
        report = await report_data.for_campaign(session, campaign_id, now, org, tz)
        item = report.campaigns[0]
        total = item.counts.total
        caption = t("rpt.chat.caption", id=campaign_id, title=item.title[:300], all_confirmed=total.all_confirmed,
                    members=total.members, attested=total.attested)
        chart = Attachment(f"bieu-do-dot-{campaign_id}.png", await render(session, report, "png"), photo=True)
        files.append(Message(caption, attachment=chart))
        for fmt in ("xlsx", "docx"):
            data = await render(session, report, fmt)  # type: ignore[arg-type]
            files.append(Message(t(f"rpt.chat.{fmt}"), attachment=Attachment(f"bao-cao-dot-{campaign_id}.{fmt}", data)))
    return files
