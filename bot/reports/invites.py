"""The invite list the clerk prints or mails out: one row a person, with the code
and the Telegram deep link. Names, departments and positions come from the roster a
person typed: they are written as text, never as formulas (:mod:`bot.reports.safe`)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bot.domain.texts import t
from bot.reports import safe


@dataclass(frozen=True)
class InviteRow:
    full_name: str
    department: str
    position: str
    phone: str
    code: str
    link: str


def columns() -> list[str]:
    return [t(f"invites.col.{name}") for name in ("no", "full_name", "department", "position", "phone", "code", "link")]


def _cells(index: int, row: InviteRow) -> list[object]:
    return [index, row.full_name, row.department, row.position, row.phone, row.code, row.link]


def write_csv(path: Path, rows: Sequence[InviteRow]) -> None:
    # utf-8-sig so that Excel opens the Vietnamese correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns())
        writer.writerows(safe.csv_row(_cells(i, row)) for i, row in enumerate(rows, start=1))


def write_xlsx(path: Path, rows: Sequence[InviteRow], title: str) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = t("invites.sheet")
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([t("invites.instructions")])
    sheet.append(columns())
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for index, row in enumerate(rows, start=1):
        sheet.append([index])
        for column, value in enumerate(_cells(index, row)[1:], start=2):
            safe.set_text(sheet.cell(row=sheet.max_row, column=column), value)
        if row.link:
            link_cell = sheet.cell(row=sheet.max_row, column=7)
            link_cell.hyperlink = row.link
            link_cell.font = Font(color="0563C1", underline="single")
    for column, width in enumerate((5, 28, 30, 22, 14, 12, 48), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A4"
    sheet.print_title_rows = "3:3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    workbook.save(path)
