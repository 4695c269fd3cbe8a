"""The report on a disclosure and the closing minutes (biên bản kết thúc công khai) as a
.docx in the Vietnamese administrative layout (Nghị định 30/2020/NĐ-CP, Phụ lục I):
A4, Times New Roman 13–14, margins 20–25 mm top and bottom, 30–35 mm left, 15–20 mm right;
the issuing body and số/ký hiệu on the left and the Quốc hiệu and tiêu ngữ on the right;
place and date; the name of the document; the body; nơi nhận and the signature block.

The window's continuity is stated from the heartbeat evidence: hours reachable, and every
gap longer than 15 minutes, so the claim can be checked.
"""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import docx
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell

from bot.domain.dates import format_date_short_vi, format_date_vi, format_datetime_vi
from bot.domain.texts import t
from bot.reports.common import channel_names, continuity_line, gap_lines, percent
from bot.services.report_data import CampaignReport, Report

FONT = "Times New Roman"


def _setup(document: DocxDocument) -> None:
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    style.paragraph_format.space_after = Pt(6)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)


def _para(where: DocxDocument | _Cell, text: str = "", *, bold: bool = False, italic: bool = False,
          size: float | None = None, align: int | None = None, underline: bool = False) -> None:
    paragraph = where.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0) if isinstance(where, _Cell) else Pt(6)
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    run.font.name = FONT
    if size is not None:
        run.font.size = Pt(size)


def _cell(cell: _Cell) -> _Cell:
    cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)  # start empty
    return cell


def _header(document: DocxDocument, org: str, number_hint: str, place: str, day: dt.date) -> None:
    """Issuing body and số/ký hiệu | Quốc hiệu, tiêu ngữ and the place and date."""
    table = document.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = (_cell(c) for c in table.rows[0].cells)
    left.width, right.width = Mm(70), Mm(95)
    _para(left, org.upper(), bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(left, "———", size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(left, t("rpt.doc.number", hint=number_hint), size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(right, t("rpt.doc.nation"), bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(right, t("rpt.doc.motto"), bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, underline=True)
    _para(right, "")
    _para(right, t("rpt.doc.place_date", place=place, date=format_date_vi(day)),
          italic=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    document.add_paragraph()


def _title(document: DocxDocument, kind: str, subject: str) -> None:
    _para(document, kind, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(document, subject, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)


def _heading(document: DocxDocument, text: str) -> None:
    _para(document, text, bold=True)


def _signature(document: DocxDocument, recipients: list[str], signers: list[tuple[str, str]]) -> None:
    """Nơi nhận on the left (when given); one signature column per signer (title, name)."""
    columns = (1 if recipients else 0) + len(signers)
    table = document.add_table(rows=1, cols=columns)
    cells = [_cell(c) for c in table.rows[0].cells]
    if recipients:
        where = cells.pop(0)
        _para(where, t("rpt.doc.recipients"), bold=True, italic=True, size=12)
        for line in recipients:
            _para(where, line, size=11)
    for cell, (title, name) in zip(cells, signers, strict=True):
        _para(cell, title.upper(), bold=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
        _para(cell, t("rpt.doc.sign_hint"), italic=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)
        for _ in range(4):
            _para(cell, "")
        _para(cell, name, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)


def _department_table(document: DocxDocument, item: CampaignReport) -> None:
    names = ("department", "members", "linked", "all_confirmed", "rate", "attested")
    table = document.add_table(rows=1, cols=len(names))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, names, strict=True):
        cell.text = t(f"rpt.col.{name}")
        cell.paragraphs[0].runs[0].bold = True
    for row in item.counts.rows + [item.counts.total]:
        values = [row.department or t("report.total"), row.members, row.linked, row.all_confirmed,
                  percent(row.all_confirmed, row.members), row.attested]
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = str(value)
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(12)
    document.add_paragraph()


def _local_date(value: dt.datetime, tz: str) -> dt.date:
    return value.astimezone(ZoneInfo(tz)).date()


def _campaign_body(document: DocxDocument, report: Report, item: CampaignReport) -> None:
    c, d = item.campaign, item.campaign.document
    _heading(document, t("rpt.doc.h.content"))
    _para(document, t("rpt.doc.content", title=item.title, number=d.number or "—", issuer=d.issuer or report.org,
                      issued=format_date_short_vi(d.issued_on) if d.issued_on else "—", sections=len(item.sections)))
    _heading(document, t("rpt.doc.h.form"))
    _para(document, t("rpt.doc.form", channels=channel_names(item.channels) or t("rpt.doc.no_channel")))
    _para(document, t("rpt.doc.window", start=format_date_short_vi(c.start_on), end=format_date_short_vi(c.end_on),
                      days=(c.end_on - c.start_on).days + 1))
    _para(document, continuity_line(item.continuity))
    gaps = gap_lines(item.continuity, report.tz)
    if gaps:
        _para(document, t("rpt.doc.gaps", count=len(gaps)))
        for line in gaps:
            _para(document, f"- {line}")
    else:
        _para(document, t("rpt.doc.no_gaps"))
    _heading(document, t("rpt.doc.h.result"))
    total = item.counts.total
    _para(document, t("rpt.doc.result", members=total.members, linked=total.linked, sent=total.sent,
                      all_confirmed=total.all_confirmed, rate=percent(total.all_confirmed, total.members),
                      attested=total.attested, unreachable=total.unreachable))
    _para(document, t("rpt.legend"), italic=True, size=12)
    _department_table(document, item)
    _heading(document, t("rpt.doc.h.feedback"))
    items = item.summary.items
    accepted = sum(1 for i in items if i.status.value == "accepted")
    explained = sum(1 for i in items if i.status.value == "explained")
    _para(document, t("rpt.doc.feedback", total=len(items), accepted=accepted, explained=explained,
                      open=len(items) - accepted - explained))
    for n, comment in enumerate(items, start=1):
        author = t("summary.anonymous") if comment.anonymous or not comment.author else comment.author
        _para(document, t("rpt.doc.comment", n=n, where=comment.where, author=author, text=comment.text))
        decision = t(f"feedback.status.{comment.status.value}")
        _para(document, t("rpt.doc.answer", decision=decision, answer=comment.answer or "—"), italic=True)


def _evidence(document: DocxDocument, report: Report) -> None:
    """The audit chain's head hash: what the trail held when this was written; any later
    edit or removal of those events is found by ``congkhai audit verify --head``."""
    head = report.audit_head
    if head is None:
        return
    at = format_datetime_vi(head.at, report.tz) if head.at else "—"
    _para(document, t("rpt.doc.audit_head", count=head.count, at=at, head=head.hash), italic=True, size=12)


def _report(document: DocxDocument, report: Report) -> None:
    day = _local_date(report.now, report.tz)
    place = report.place
    if report.period is None:
        item = report.campaigns[0]
        _header(document, report.org, "BC", place, day)
        _title(document, t("rpt.doc.report"), t("rpt.doc.report_subject", title=item.title))
        _campaign_body(document, report, item)
    else:
        _header(document, report.org, "BC", place, day)
        period = report.period
        subject = (t("rpt.doc.period_half", half=t("rpt.doc.half." + str(period.half)), year=period.year)
                   if period.half else t("rpt.doc.period_year", year=period.year))
        _title(document, t("rpt.doc.report"), subject)
        _para(document, t("rpt.doc.period_intro", count=len(report.campaigns),
                          start=format_date_short_vi(period.start), end=format_date_short_vi(period.end)))
        for n, item in enumerate(report.campaigns, start=1):
            _heading(document, t("rpt.doc.period_item", n=n, title=item.title))
            _campaign_body(document, report, item)
    _evidence(document, report)
    _signature(document, [t("rpt.doc.recipient.superior"), t("rpt.doc.recipient.union"),
                          t("rpt.doc.recipient.archive")],
               [(t("rpt.doc.signer.head"), report.signers.get("leader", ""))])


def _minutes(document: DocxDocument, report: Report, item: CampaignReport) -> None:
    c = item.campaign
    end = c.closed_at if c.closed_at is not None and c.closed_at < c.ends_at else c.ends_at
    day = _local_date(end, report.tz)
    _header(document, report.org, "BB", report.place, day)
    _title(document, t("rpt.doc.minutes"), t("rpt.doc.minutes_subject", title=item.title))
    if report.now < end:
        _para(document, t("rpt.doc.minutes_draft"), italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(document, t("rpt.doc.minutes_intro", date=format_date_vi(day), org=report.org))
    dots = "……………………"
    for role in ("leader", "union", "inspector"):
        _para(document, t(f"rpt.doc.member.{role}", name=report.signers.get(role) or dots))
    _para(document, t("rpt.doc.minutes_agree", title=item.title))
    _campaign_body(document, report, item)
    _evidence(document, report)
    _para(document, t("rpt.doc.minutes_end"))
    _signature(document, [], [
        (t("rpt.doc.signer.inspector"), report.signers.get("inspector", "")),
        (t("rpt.doc.signer.union"), report.signers.get("union", "")),
        (t("rpt.doc.signer.head"), report.signers.get("leader", "")),
    ])


def to_docx(report: Report) -> bytes:
    """The report; for a single campaign, followed on a new page by its closing minutes."""
    document = docx.Document()
    _setup(document)
    _report(document, report)
    if report.period is None:
        document.add_section(WD_SECTION.NEW_PAGE)
        _minutes(document, report, report.campaigns[0])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


