"""Reading a roster file (CSV or XLSX) into rows of cell strings.

File-level trouble (empty, binary, legacy encoding, too big, wrong type) is a
``RosterFileError`` with a Vietnamese reason; nothing has been written by then.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

from bot.domain.texts import t

MAX_BYTES = 10 * 1024 * 1024


class RosterFileError(ValueError):
    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


def read_table(path: Path) -> list[list[str]]:
    """Rows of the first sheet (XLSX) or of the file (CSV), every cell as text."""
    name = path.name
    if not path.is_file():
        raise RosterFileError(name, t("roster.file_missing"))
    size = path.stat().st_size
    if size == 0:
        raise RosterFileError(name, t("roster.file_empty"))
    if size > MAX_BYTES:
        raise RosterFileError(
            name, t("roster.file_too_big", size=f"{size / 2**20:.1f}", limit=MAX_BYTES // 2**20)
        )
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix == ".xlsx":
        return _read_xlsx(name, data)
    if suffix in (".csv", ".txt"):
        return _read_csv(name, data)
    raise RosterFileError(name, t("roster.file_type"))


def _read_csv(name: str, data: bytes) -> list[list[str]]:
    if b"\x00" in data[:4096]:
        raise RosterFileError(name, t("roster.file_binary"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterFileError(name, t("roster.file_encoding")) from None
    if not text.strip():
        raise RosterFileError(name, t("roster.file_empty"))
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        return [row for row in reader]
    except csv.Error:  # a quote never closed: one field past csv's limit
        raise RosterFileError(name, t("roster.file_csv_broken", line=reader.line_num, limit=csv.field_size_limit())) from None


def _read_xlsx(name: str, data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise RosterFileError(name, t("roster.file_binary"))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise RosterFileError(name, t("roster.file_unreadable", reason=type(error).__name__)) from None
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A cell as the clerk sees it: 912345678.0 is the number 912345678."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value)
