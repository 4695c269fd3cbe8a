"""`congkhai staff invites`: cards for a meeting (PDF, DOCX) read back, one a person with the
QR code of the deep link and a code that works; and the XLSX/CSV lists keep a roster name
that looks like a formula as text."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from pathlib import Path

import docx
import openpyxl
import pytest
from pypdf import PdfReader

from bot.db.engine import create_engine, session_factory
from bot.services import roster
from tests.cli_helpers import congkhai

FORMULA = '=HYPERLINK("http://evil.example/x","Bấm vào")'
ROSTER = (
    "Họ và tên,Đơn vị,Chức vụ,Số điện thoại,Vai trò\n"
    "Nguyễn Văn An,Ban Giám đốc,Giám đốc,0912000001,lãnh đạo\n"
    "Trần Thị Bình,Văn phòng,Chuyên viên,0912000002,\n"
    + '"=HYPERLINK(""http://evil.example/x"",""Bấm vào"")",Phòng Kế hoạch,@Chuyên viên,0912000003,\n'
)
CODE = re.compile(r"\b([2-9A-Z]{4}-[2-9A-Z]{4})\b")


@pytest.fixture
def staff_db(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CONGKHAI_BOT_USERNAME", "congkhai_thu_bot")
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    assert congkhai(db_url, "staff", "import", str(path)).exit_code == 0
    return db_url


def _owner(db_url: str, code: str) -> str | None:
    async def find() -> str | None:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                person = await roster.find_by_invite(session, code)
                return person.full_name if person else None
        finally:
            await engine.dispose()

    return asyncio.run(find())


def test_pdf_cards_have_every_person_a_qr_code_and_a_working_code(staff_db: str, tmp_path: Path) -> None:
    out = tmp_path / "the.pdf"
    result = congkhai(staff_db, "staff", "invites", "-o", str(out))
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    assert len(reader.pages) == 1  # three cards fit on one page of eight
    text = " ".join(reader.pages[0].extract_text().split())  # lines wrap inside a card
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Ban Giám đốc", "Phòng Kế hoạch"):
        assert name in text
    assert len(reader.pages[0].images) == 3  # one QR code a card
    codes = CODE.findall(text)
    assert len(codes) == 3
    assert {_owner(staff_db, code) for code in codes} == {"Nguyễn Văn An", "Trần Thị Bình", FORMULA}


def test_docx_cards_read_back(staff_db: str, tmp_path: Path) -> None:
    out = tmp_path / "the.docx"
    assert congkhai(staff_db, "staff", "invites", "--format", "docx", "-o", str(out)).exit_code == 0
    document = docx.Document(str(out))
    cells = [cell.text for row in document.tables[0].rows for cell in row.cells]
    assert sum("Nguyễn Văn An" in c for c in cells) == 1 and sum("Trần Thị Bình" in c for c in cells) == 1
    assert len(document.inline_shapes) == 3
    codes = [CODE.search(c).group(1) for c in cells if CODE.search(c)]
    assert _owner(staff_db, codes[0]) == "Nguyễn Văn An"


def test_invite_lists_keep_formula_looking_names_as_text(staff_db: str, tmp_path: Path) -> None:
    xlsx, csv_path = tmp_path / "ma.xlsx", tmp_path / "ma.csv"
    assert congkhai(staff_db, "staff", "invites", "-o", str(xlsx)).exit_code == 0
    sheet = openpyxl.load_workbook(xlsx).active
    name = next(row[1] for row in sheet.iter_rows(min_row=4) if row[1].value == FORMULA)
    assert name.data_type == "s" and name.quotePrefix
    position = next(row[3] for row in sheet.iter_rows(min_row=4) if row[3].value == "@Chuyên viên")
    assert position.data_type == "s" and position.quotePrefix
    assert congkhai(staff_db, "staff", "invites", "-o", str(csv_path)).exit_code == 0
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert ["'" + FORMULA, "Phòng Kế hoạch", "'@Chuyên viên"] == rows[3][1:4]
