"""Cells and fields that come from a person (names, departments, positions, comments,
answers) are data, never formulas. A spreadsheet program runs a cell that begins with
``=``, ``+``, ``-`` or ``@`` (and a tab or carriage return before them), so such a
value is written so that it stays text:

- in CSV, behind a leading apostrophe (the usual defence: Excel and LibreOffice then
  show the text and run nothing);
- in XLSX, as a string cell with Excel's "quote prefix" style, so the text reads
  exactly as typed and editing the cell keeps it text.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet

# ASCII triggers and the full-width forms some spreadsheet programs also accept.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def risky(value: object) -> bool:
    return isinstance(value, str) and value.startswith(TRIGGERS)


def csv_field(value: object) -> object:
    """A CSV field that a spreadsheet shows as text."""
    return "'" + value if risky(value) else value  # type: ignore[operator]


def csv_row(values: list[object]) -> list[object]:
    return [csv_field(v) for v in values]


def text_cell(sheet: Worksheet, value: str) -> WriteOnlyCell:
    """A string cell that is never read as a formula (write-only workbooks)."""
    cell = WriteOnlyCell(sheet, value=None)
    cell._value = value  # the setter would turn "=…" into a formula
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def xlsx_row(sheet: Worksheet, values: list[Any]) -> list[Any]:
    return [text_cell(sheet, v) if risky(v) else v for v in values]


def set_text(cell: Any, value: object) -> None:
    """Assign to a cell of an ordinary (not write-only) workbook, keeping risky text as text."""
    if risky(value):
        cell._value = value
        cell.data_type = "s"
        cell.quotePrefix = True
    else:
        cell.value = value
