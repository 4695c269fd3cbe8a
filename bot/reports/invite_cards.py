"""Invite cards for a meeting: one card a person (name, department, the QR code of their
Telegram deep link, the code to type on Zalo), eight to an A4 page with cut lines, as PDF
(fpdf2) or DOCX (python-docx).

The PDF embeds DejaVu Sans, which matplotlib ships (a dependency already), so every
Vietnamese letter prints on a fresh machine with no system fonts. QR codes come from segno.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path

import docx
import matplotlib
import segno
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from fpdf import FPDF

from bot.domain.texts import t
from bot.reports.invites import InviteRow

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
COLUMNS, ROWS = 2, 4  # cards on an A4 page
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 10.0
CARD_W = (PAGE_W - 2 * MARGIN) / COLUMNS
CARD_H = (PAGE_H - 2 * MARGIN) / ROWS
QR_MM = 38.0

Progress = Callable[[int], None]


def qr_png(link: str, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def to_pdf(rows: Sequence[InviteRow], org: str, progress: Progress | None = None) -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(t("cards.title", org=org))
    per_page = COLUMNS * ROWS
    for index, row in enumerate(rows):
        if index % per_page == 0:
            pdf.add_page()
            _cut_lines(pdf)
        slot = index % per_page
        _card(pdf, row, org, MARGIN + (slot % COLUMNS) * CARD_W, MARGIN + (slot // COLUMNS) * CARD_H)
        if progress is not None:
            progress(index + 1)
    return bytes(pdf.output())


def _cut_lines(pdf: FPDF) -> None:
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=2, gap=2)
        for c in range(COLUMNS + 1):
            x = MARGIN + c * CARD_W
            pdf.line(x, MARGIN, x, PAGE_H - MARGIN)
        for r in range(ROWS + 1):
            y = MARGIN + r * CARD_H
            pdf.line(MARGIN, y, PAGE_W - MARGIN, y)


def _card(pdf: FPDF, row: InviteRow, org: str, x: float, y: float) -> None:
    pad = 4.0
    text_w = CARD_W - 2 * pad - (QR_MM + 2 if row.link else 0)
    pdf.set_xy(x + pad, y + pad)
    pdf.set_font("DejaVu", "", 7)
    pdf.multi_cell(text_w, 3.2, org.upper()[:80])
    pdf.set_x(x + pad)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(text_w, 5, row.full_name[:60])
    pdf.set_x(x + pad)
    pdf.set_font("DejaVu", "", 8.5)
    pdf.multi_cell(text_w, 4, " · ".join(filter(None, (row.position, row.department)))[:120])
    pdf.set_xy(x + pad, y + CARD_H - 30)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(text_w, 3.6, t("cards.telegram") if row.link else t("cards.no_link"))
    pdf.set_xy(x + pad, y + CARD_H - 18)
    pdf.multi_cell(text_w, 3.6, t("cards.zalo"))
    pdf.set_xy(x + pad, y + CARD_H - 11)
    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(text_w, 7, row.code)
    if row.link:
        pdf.image(io.BytesIO(qr_png(row.link)), x=x + CARD_W - pad - QR_MM, y=y + (CARD_H - QR_MM) / 2,
                  w=QR_MM, h=QR_MM)


def to_docx(rows: Sequence[InviteRow], org: str, progress: Progress | None = None) -> bytes:
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_W), Mm(PAGE_H)
    for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(section, side, Mm(MARGIN))
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(11)
    table = document.add_table(rows=0, cols=COLUMNS)
    _dashed_borders(table)
    cells: list = []
    for index, row in enumerate(rows):
        if index % COLUMNS == 0:
            table_row = table.add_row()
            table_row.height = Mm(CARD_H - 1)
            table_row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
            _no_split(table_row)
            cells = list(table_row.cells)
        _docx_card(cells[index % COLUMNS], row, org)
        if progress is not None:
            progress(index + 1)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_card(cell, row: InviteRow, org: str) -> None:  # type: ignore[no-untyped-def]
    cell.width = Mm(CARD_W)
    first = cell.paragraphs[0]
    run = first.add_run(org.upper())
    run.font.size = Pt(7)
    name = cell.add_paragraph()
    run = name.add_run(row.full_name)
    run.bold, run.font.size = True, Pt(13)
    cell.add_paragraph(" · ".join(filter(None, (row.position, row.department)))).runs[0].font.size = Pt(9)
    if row.link:
        picture = cell.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.add_run().add_picture(io.BytesIO(qr_png(row.link, scale=5)), width=Mm(30))
    hint = cell.add_paragraph(t("cards.telegram") if row.link else t("cards.no_link"))
    hint.runs[0].font.size = Pt(8)
    zalo = cell.add_paragraph(t("cards.zalo"))
    zalo.runs[0].font.size = Pt(8)
    code = cell.add_paragraph()
    run = code.add_run(row.code)
    run.bold, run.font.size = True, Pt(16)


def _no_split(row) -> None:  # type: ignore[no-untyped-def]
    properties = row._tr.get_or_add_trPr()
    cant_split = OxmlElement("w:cantSplit")
    properties.append(cant_split)


def _dashed_borders(table) -> None:  # type: ignore[no-untyped-def]
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "dashed")
        element.set(qn("w:sz"), "4")
        element.set(qn("w:color"), "999999")
        borders.append(element)
    table._tbl.tblPr.append(borders)
