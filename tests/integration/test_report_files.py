"""`congkhai report`: the files are read back (openpyxl, python-docx, the PNG header) and say
what happened in the campaign: who confirmed, per section, the comments and their answers,
and the continuity evidence with its gaps. Every person-typed cell stays text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import struct
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.db.models import Campaign, Staff
from bot.domain.enums import Channel, FeedbackStatus
from bot.services import feedback, heartbeat
from tests.cli_helpers import congkhai
from tests.integration.harness import ROSTER, local, running_bot

MONDAY = dt.date(2026, 3, 2)
FORMULA = '=HYPERLINK("http://evil.example/x","Bấm vào")'
ROSTER_WITH_FORMULA = [*ROSTER, [FORMULA, "Phòng Kế hoạch", "+Chuyên viên", "0912000009", ""],
                       ["Đỗ Thị Thanh", "Ban Thanh tra nhân dân", "Trưởng ban", "0912000010", "thanh tra nhân dân"]]


async def _campaign(db_url: str) -> int:
    """Two people confirm the first day's sections; one comment with a formula is answered;
    the bot's marks cover the whole window, every 10 minutes, except one 40-minute hole."""
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        campaign_id = await bot.open_campaign(MONDAY, roster=ROSTER_WITH_FORMULA)
        for name in ("Trần Thị Bình", "Phạm Thị Dung", "Nguyễn Văn An"):
            await bot.register(name)
        bot.clock.set(local(MONDAY, 11))
        await bot.run_until_idle()
        assert await bot.confirm_all("Trần Thị Bình") > 0
        assert await bot.confirm_all("Phạm Thị Dung") > 0
        now = bot.clock.now()
        async with bot.sessions() as session, session.begin():
            commenter = await bot.staff_id("Trần Thị Bình")
            sent = await feedback.submit(session, staff_id=commenter, campaign_id=campaign_id, ordinal=1,
                                         text="@SUM(1+1) đề nghị sửa Điều 1", anonymous=False, via=Channel.TELEGRAM,
                                         now=now)
            leader = await session.scalar(select(Staff).where(Staff.full_name == "Nguyễn Văn An"))
            await feedback.answer(session, staff=leader, feedback_id=sent.feedback_id,
                                  decision=FeedbackStatus.ACCEPTED, text="-Tiếp thu, sẽ sửa.", now=now,
                                  tz="Asia/Ho_Chi_Minh")
            window = await session.get(Campaign, campaign_id)
            at = window.starts_at
            while at <= window.ends_at:
                if not (local(MONDAY, 9) < at < local(MONDAY, 9, 40)):
                    await heartbeat.beat(session, at, "test:1")
                at += dt.timedelta(minutes=10)
        return campaign_id


@pytest.fixture
def campaign(db_url: str) -> int:
    import asyncio

    return asyncio.run(_campaign(db_url))


def test_xlsx_has_the_summary_members_sections_and_answered_comments(
    db_url: str, campaign: int, tmp_path: Path
) -> None:
    out = tmp_path / "r.xlsx"
    result = congkhai(db_url, "report", str(campaign), "-o", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["Tổng hợp", "Cán bộ", "Theo mục", "Góp ý", "Theo ngày"]
    members = list(book["Cán bộ"].iter_rows(values_only=True))
    assert members[0][:3] == ("Đợt", "Họ và tên", "Đơn vị")
    by_name = {row[1]: row for row in members[1:]}
    assert len(by_name) == len(ROSTER_WITH_FORMULA) - 1
    binh = by_name["Trần Thị Bình"]
    assert binh[2] == "Văn phòng" and binh[4] == "Telegram" and binh[5] > 0 and binh[6] > 0
    assert re.fullmatch(r"\d\d:\d\d ngày \d\d/\d+/2026", binh[8]), binh[8]  # last confirmation, local time
    assert by_name["Hoàng Văn Em"][10] == "chưa liên kết"
    # The formula in the roster is text: a string cell, shown as typed, never a formula.
    sheet = book["Cán bộ"]
    formula_row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == FORMULA)
    assert formula_row[1].data_type == "s" and formula_row[1].quotePrefix
    assert formula_row[3].value == "+Chuyên viên" and formula_row[3].quotePrefix
    sections = list(book["Theo mục"].iter_rows(values_only=True))
    assert sections[1][1] == 1 and sections[1][4] == 2  # two people confirmed section 1
    comments = list(book["Góp ý"].iter_rows(min_row=2))
    assert [c.value for c in comments[0]][4] == "@SUM(1+1) đề nghị sửa Điều 1"
    assert comments[0][4].data_type == "s" and comments[0][4].quotePrefix
    assert comments[0][5].value == "Tiếp thu" and comments[0][6].value == "-Tiếp thu, sẽ sửa."
    summary = [row[0] for row in book["Tổng hợp"].iter_rows(values_only=True) if row and row[0]]
    assert any("khoảng" not in str(s) and "(40 phút)" in str(s) for s in summary), summary


def test_csv_is_utf8_with_bom_and_neutralises_formulas(db_url: str, campaign: int, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    assert congkhai(db_url, "report", str(campaign), "--format", "csv", "-o", str(out)).exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][1] == "Họ và tên"
    names = [r[1] for r in rows[1:]]
    assert "'" + FORMULA in names and FORMULA not in names
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_docx_is_the_report_and_the_closing_minutes_in_the_administrative_layout(
    db_url: str, campaign: int, tmp_path: Path
) -> None:
    out = tmp_path / "r.docx"
    assert congkhai(db_url, "report", str(campaign), "-o", str(out)).exit_code == 0
    document = docx.Document(str(out))
    header = document.tables[0].rows[0].cells
    assert "Số:" in header[0].text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header[1].text
    assert "Độc lập - Tự do - Hạnh phúc" in header[1].text
    assert "ngày" in header[1].text and "tháng" in header[1].text and "năm" in header[1].text
    text = "\n".join(p.text for p in document.paragraphs)
    assert "BÁO CÁO" in text and "BIÊN BẢN" in text and "Kết thúc công khai" in text
    assert "I. NỘI DUNG CÔNG KHAI" in text and "IV. TIẾP NHẬN VÀ TRẢ LỜI GÓP Ý" in text
    assert "Có 1 khoảng gián đoạn dài hơn 15 phút" in text
    assert "(40 phút)" in text
    assert "@SUM(1+1) đề nghị sửa Điều 1" in text and "Tiếp thu: -Tiếp thu, sẽ sửa." in text
    assert "Đại diện Ban Thanh tra nhân dân: Đỗ Thị Thanh" in text
    tables_text = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "Nơi nhận:" in tables_text and "THỦ TRƯỞNG CƠ QUAN" in tables_text
    assert "Văn phòng" in tables_text  # the department table
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert 13 <= document.styles["Normal"].font.size.pt <= 14
    assert len(document.sections) == 2  # the minutes start on a new page


def test_docx_cites_the_audit_chain_head_as_evidence(db_url: str, campaign: int, tmp_path: Path) -> None:
    out = tmp_path / "r.docx"
    assert congkhai(db_url, "report", str(campaign), "-o", str(out)).exit_code == 0
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    cited = re.findall(r"mã băm đầu chuỗi SHA-256: ([0-9a-f]{64})", text)
    assert len(cited) == 2 and cited[0] == cited[1]  # the report and its minutes
    verified = congkhai(db_url, "audit", "verify", "--head", cited[0])
    assert verified.exit_code == 0 and "có trong chuỗi" in verified.output, verified.output
    book = load_workbook(io.BytesIO(congkhai_xlsx(db_url, campaign, tmp_path)), read_only=True)
    first = "\n".join(str(c) for row in book.worksheets[0].iter_rows(values_only=True) for c in row if c)
    assert cited[0] in first


def congkhai_xlsx(db_url: str, campaign: int, tmp_path: Path) -> bytes:
    out = tmp_path / "r.xlsx"
    assert congkhai(db_url, "report", str(campaign), "-o", str(out)).exit_code == 0
    return out.read_bytes()


def test_png_is_a_chart(db_url: str, campaign: int, tmp_path: Path) -> None:
    out = tmp_path / "r.png"
    assert congkhai(db_url, "report", str(campaign), "-o", str(out)).exit_code == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1000 and 300 < height < 2000


def test_a_period_report_covers_every_campaign_of_the_half_year(db_url: str, campaign: int, tmp_path: Path) -> None:
    out = tmp_path / "h1.docx"
    result = congkhai(db_url, "report", "--period", "2026-H1", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "6 tháng đầu năm 2026" in text and "1 đợt công khai" in text
    empty = congkhai(db_url, "report", "--period", "2026-H2", "-o", str(tmp_path / "h2.docx"))
    assert empty.exit_code == 1 and "Không có đợt công khai nào trong kỳ 2026-H2" in empty.output
    bad = congkhai(db_url, "report", "--period", "2026-Q1", "-o", str(tmp_path / "q.docx"))
    assert bad.exit_code == 1 and "không đúng" in bad.output
    assert not (tmp_path / "h2.docx").exists() and not (tmp_path / "q.docx").exists()


def test_an_unknown_campaign_is_refused(db_url: str, tmp_path: Path) -> None:
    result = congkhai(db_url, "report", "99", "-o", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 1 and "Không có đợt công khai số 99" in result.output
