"""The report as a spreadsheet (XLSX) and the member table as CSV.

The workbook is written in openpyxl's write-only mode: rows go to a temporary file as they
come, so the member sheet of 100,000 people is never held in memory. Everything a person
typed goes through :mod:`bot.reports.safe`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.dates import format_date_short_vi
from bot.domain.texts import t
from bot.reports import safe
from bot.reports.common import (
    channel_names,
    continuity_line,
    gap_lines,
    local_time,
    percent,
)
from bot.services.feedback import FeedbackItem
from bot.services.report_data import MemberRow, Report

Progress = Callable[[int], None]  # called with the number of member rows written so far


def _bold(sheet: Worksheet, values: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _widths(sheet: Worksheet, widths: tuple[int, ...]) -> None:
    """Column widths (a write-only sheet takes them before its first row)."""
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def member_columns() -> list[str]:
    return [t(f"rpt.col.{name}") for name in (
        "campaign", "full_name", "department", "position", "channel", "sent", "confirmed", "sections",
        "last_confirmation", "attested", "reachable",
    )]


def member_values(row: MemberRow, tz: str) -> list[object]:
    reachable = t("rpt.not_linked") if row.reachable is None else t("rpt.yes" if row.reachable else "rpt.no")
    return [
        row.campaign_id, row.full_name, row.department, row.position, channel_names(row.channels), row.sent,
        row.confirmed, row.sections, local_time(row.last_confirmation, tz),
        t("rpt.yes" if row.attested else "rpt.no"), reachable,
    ]


async def to_xlsx(report: Report, members: AsyncIterator[MemberRow], progress: Progress | None = None) -> bytes:
    book = Workbook(write_only=True)
    _summary_sheet(book, report)
    sheet = book.create_sheet(t("rpt.sheet.members"))
    sheet.freeze_panes = "A2"
    _widths(sheet, (6, 28, 30, 22, 16, 10, 12, 10, 22, 12, 14))
    sheet.append(_bold(sheet, member_columns()))
    written = 0
    async for row in members:
        sheet.append(safe.xlsx_row(sheet, member_values(row, report.tz)))
        written += 1
        if progress is not None and written % 1000 == 0:
            progress(written)
    if progress is not None:
        progress(written)
    _sections_sheet(book, report)
    _feedback_sheet(book, report)
    _daily_sheet(book, report)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _summary_sheet(book: Workbook, report: Report) -> None:
    sheet = book.create_sheet(t("rpt.sheet.summary"))
    _widths(sheet, (30, 10, 12, 12, 18, 10, 16, 18))
    title = WriteOnlyCell(sheet, value=t("rpt.xlsx.title", org=report.org))
    title.font = Font(bold=True, size=13)
    sheet.append([title])
    if report.period is not None:
        sheet.append([t("rpt.xlsx.period", period=report.period.label)])
    sheet.append([t("rpt.xlsx.generated", at=local_time(report.now, report.tz))])
    if report.audit_head is not None:
        sheet.append([t("rpt.xlsx.audit_head", count=report.audit_head.count, head=report.audit_head.hash)])
    sheet.append([t("rpt.legend")])
    for item in report.campaigns:
        c = item.campaign
        sheet.append([])
        sheet.append(_bold(sheet, [t("rpt.xlsx.campaign", id=c.id, title=item.title)]))
        sheet.append([t("rpt.xlsx.window", start=format_date_short_vi(c.start_on), end=format_date_short_vi(c.end_on),
                        status=t(f"campaign.status.{c.status.value}"))])
        sheet.append([continuity_line(item.continuity)])
        for line in gap_lines(item.continuity, report.tz):
            sheet.append([line])
        sheet.append(_bold(sheet, [t(f"rpt.col.{n}") for n in (
            "department", "members", "linked", "sent", "all_confirmed", "rate", "attested", "unreachable")]))
        for row in item.counts.rows + [item.counts.total]:
            name = row.department or t("report.total")
            sheet.append(safe.xlsx_row(sheet, [
                name, row.members, row.linked, row.sent, row.all_confirmed, percent(row.all_confirmed, row.members),
                row.attested, row.unreachable,
            ]))
        sheet.append([t("rpt.xlsx.feedback", count=len(item.summary.items))])


def _sections_sheet(book: Workbook, report: Report) -> None:
    sheet = book.create_sheet(t("rpt.sheet.sections"))
    _widths(sheet, (6, 8, 30, 50, 14, 10, 10))
    sheet.append(_bold(sheet, [t(f"rpt.col.{n}") for n in (
        "campaign", "ordinal", "path", "heading", "confirmed_people", "members", "rate")]))
    for item in report.campaigns:
        for s in item.sections:
            sheet.append([item.campaign.id, s.ordinal, s.path, s.heading, s.confirmed, s.members,
                          percent(s.confirmed, s.members)])


def _author(item: FeedbackItem) -> str:
    return t("summary.anonymous") if item.anonymous or not item.author else item.author


def _feedback_sheet(book: Workbook, report: Report) -> None:
    sheet = book.create_sheet(t("rpt.sheet.feedback"))
    _widths(sheet, (6, 30, 22, 12, 60, 16, 60, 22, 20))
    sheet.append(_bold(sheet, [t(f"rpt.col.{n}") for n in (
        "campaign", "where", "author", "received", "comment", "decision", "answer", "answered_by", "answered_at")]))
    for report_item in report.campaigns:
        for item in report_item.summary.items:
            decision = t(f"feedback.status.{item.status.value}")
            sheet.append(safe.xlsx_row(sheet, [
                item.campaign_id, item.where, _author(item), format_date_short_vi(item.created_at.date()), item.text,
                decision, item.answer or "", item.answered_by or "", local_time(item.answered_at, report.tz),
            ]))


def _daily_sheet(book: Workbook, report: Report) -> None:
    sheet = book.create_sheet(t("rpt.sheet.daily"))
    sheet.append(_bold(sheet, [t("rpt.col.campaign"), t("rpt.col.day"), t("rpt.col.confirmations")]))
    for item in report.campaigns:
        for day, count in item.daily:
            sheet.append([item.campaign.id, format_date_short_vi(day), count])


async def to_csv(report: Report, members: AsyncIterator[MemberRow], progress: Progress | None = None) -> bytes:
    """The member table, UTF-8 with a byte-order mark so that Excel reads the Vietnamese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(member_columns())
    written = 0
    async for row in members:
        writer.writerow(safe.csv_row(member_values(row, report.tz)))
        written += 1
        if progress is not None and written % 1000 == 0:
            progress(written)
    if progress is not None:
        progress(written)
    return buffer.getvalue().encode("utf-8-sig")


