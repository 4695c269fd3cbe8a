"""`congkhai staff import|list|invites` against a real database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.db.engine import create_engine, session_factory
from bot.db.models import AuditEvent, Department, Staff
from tests.cli_helpers import congkhai

HEADER = "STT,Họ và tên,Đơn vị,Chức vụ,Số điện thoại,Email,Vai trò\n"
ROWS = [
    "1,Nguyễn Văn An,Ban Giám đốc,Giám đốc,0912 345 678,an@x.gov.vn,lãnh đạo",
    "2,Trần Thị Bình,Văn phòng,Chánh Văn phòng,+84 912 345 679,,\"lãnh đạo, công đoàn\"",
    "3,Lê Văn Cường,Văn phòng,Văn thư,84912345680,cuong@x.gov.vn,quản trị",
    "4,Phạm Thị Dung,Thanh tra,Chuyên viên,0912.345.681,,thanh tra nhân dân",
]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def snapshot(db_url: str) -> list[tuple[object, ...]]:
    async def read() -> list[tuple[object, ...]]:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                rows = await session.execute(
                    select(Staff.full_name, Staff.phone, Staff.roles, Staff.active, Staff.department_id).order_by(Staff.id)
                )
                return [tuple(r) for r in rows]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def count(db_url: str, model: type) -> int:
    async def read() -> int:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                return int(await session.scalar(select(func.count()).select_from(model)) or 0)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_csv_import_normalises_and_lists(db_url: str, tmp_path: Path) -> None:
    result = congkhai(db_url, "staff", "import", str(write(tmp_path, "ds.csv", HEADER + "\n".join(ROWS))))
    assert result.exit_code == 0, result.output
    assert "4 người mới" in result.output
    people = json.loads(congkhai(db_url, "staff", "list", "--json").output)
    assert [p["phone"] for p in people] == ["+84912345678", "+84912345679", "+84912345680", "+84912345681"]
    assert people[1]["roles"] == ["leader", "staff", "union"]
    assert people[3]["roles"] == ["inspector", "staff"]
    assert people[2]["department"] == "Văn phòng"
    assert count(db_url, Department) == 3
    assert count(db_url, AuditEvent) == 1


def test_xlsx_with_title_row_and_numeric_phones(db_url: str, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["DANH SÁCH CÁN BỘ, CÔNG CHỨC NĂM 2026"])
    sheet.append(["TT", "Ho va ten", "Phong ban", "Chuc vu", "SDT", "Vai tro"])
    sheet.append([1, "Nguyễn Văn An", "Ban Giám đốc", "Giám đốc", 912345678, "lanh dao"])
    sheet.append([2, "Trần Thị Bình", "Văn phòng", None, "0912345679", None])
    path = tmp_path / "ds.xlsx"
    workbook.save(path)
    result = congkhai(db_url, "staff", "import", str(path))
    assert result.exit_code == 0, result.output
    assert [row[1] for row in snapshot(db_url)] == ["+84912345678", "+84912345679"]


def test_reimport_updates_by_phone_and_sync_deactivates(db_url: str, tmp_path: Path) -> None:
    congkhai(db_url, "staff", "import", str(write(tmp_path, "a.csv", HEADER + "\n".join(ROWS))))
    changed = [ROWS[0].replace("Ban Giám đốc", "Văn phòng").replace("0912 345 678", "+84912345678"), ROWS[1]]
    result = congkhai(db_url, "staff", "import", "--sync", str(write(tmp_path, "b.csv", HEADER + "\n".join(changed))))
    assert result.exit_code == 0, result.output
    assert "0 người mới, 1 người được cập nhật, 1 người không đổi, 2 người ngừng hoạt động" in result.output
    rows = snapshot(db_url)
    assert len(rows) == 4
    assert [r[3] for r in rows] == [True, True, False, False]
    assert rows[0][4] == rows[1][4]  # moved to Văn phòng


def test_a_bad_row_imports_nothing_and_every_problem_is_listed(db_url: str, tmp_path: Path) -> None:
    bad = ROWS + ["5,,Văn phòng,,123,,", "6,Đỗ Văn Em,Văn phòng,,0912345678,,giám đốc"]
    result = congkhai(db_url, "staff", "import", str(write(tmp_path, "ds.csv", HEADER + "\n".join(bad))))
    assert result.exit_code == 1
    assert "ds.csv:6: Họ và tên: để trống" in result.output
    assert "ds.csv:6: Số điện thoại:" in result.output
    assert "ds.csv:7: Số điện thoại: trùng với dòng 2 trong cùng tệp" in result.output
    assert "ds.csv:7: Vai trò:" in result.output
    assert "Traceback" not in result.output
    assert snapshot(db_url) == []


def test_duplicates_against_the_database_are_caught(db_url: str, tmp_path: Path) -> None:
    congkhai(db_url, "staff", "import", str(write(tmp_path, "a.csv", HEADER + "\n".join(ROWS))))
    before = snapshot(db_url)
    clash = [
        "1,Hoàng Văn Phúc,Văn phòng,,0987654321,an@x.gov.vn,",  # someone else's email
        "2,Phạm Thị Dung,Thanh tra,,0987654322,,",  # same person, another phone
    ]
    result = congkhai(db_url, "staff", "import", str(write(tmp_path, "b.csv", HEADER + "\n".join(clash))))
    assert result.exit_code == 1
    assert "b.csv:2: Email: email này đã thuộc về Nguyễn Văn An" in result.output
    assert "b.csv:3: Số điện thoại: đã có Phạm Thị Dung" in result.output
    assert snapshot(db_url) == before


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "tệp rỗng"),
        ("blank.csv", b"\n\n  \n", "tệp rỗng"),
        ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "nhị phân"),
        ("fake.xlsx", b"this is not a workbook", "nhị phân"),
        ("ds.pdf", b"%PDF-1.4", "chỉ nhận tệp .csv hoặc .xlsx"),
        ("cp1258.csv", (HEADER + ROWS[0]).encode("cp1258", errors="replace"), "UTF-8"),
        ("nocolumn.csv", "Họ và tên,Đơn vị\nNguyễn Văn An,Văn phòng\n".encode(), "Số điện thoại: thiếu cột"),
        ("noheader.csv", "a,b,c\n1,2,3\n".encode(), "không tìm thấy dòng tiêu đề"),
    ],
)
def test_bad_files_get_a_clear_error_and_change_nothing(
    db_url: str, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = congkhai(db_url, "staff", "import", str(path))
    assert result.exit_code == 1
    assert expected in result.output
    assert name in result.output
    assert "Traceback" not in result.output
    assert snapshot(db_url) == []


def test_a_ten_megabyte_file_is_refused_before_reading(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.write(HEADER.encode())
        handle.seek(10 * 1024 * 1024 + 1)
        handle.write(b"\n")
    result = congkhai(db_url, "staff", "import", str(path))
    assert result.exit_code == 1
    assert "quá lớn" in result.output
    assert snapshot(db_url) == []


def test_the_sample_roster_imports(db_url: str) -> None:
    sample = Path(__file__).resolve().parents[2] / "content" / "danh-sach-can-bo.csv"
    result = congkhai(db_url, "staff", "import", str(sample))
    assert result.exit_code == 0, result.output
    people = json.loads(congkhai(db_url, "staff", "list", "--json").output)
    assert len(people) >= 35
    roles = {role for person in people for role in person["roles"]}
    assert roles == {"staff", "leader", "union", "inspector", "admin"}
    assert len({p["department"] for p in people}) >= 4


def test_invites_export_codes_that_match_their_hashes(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.domain.invite import ALPHABET, hash_code, normalise_code

    monkeypatch.setenv("CONGKHAI_BOT_USERNAME", "cq_test_bot")
    congkhai(db_url, "staff", "import", str(write(tmp_path, "a.csv", HEADER + "\n".join(ROWS))))
    out = tmp_path / "ma.xlsx"
    result = congkhai(db_url, "staff", "invites", "-o", str(out))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    header_row = [c.value for c in sheet[3]]
    assert header_row[:2] == ["STT", "Họ và tên"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    assert [r[1] for r in rows] == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]
    codes = [normalise_code(r[5]) for r in rows]
    assert all(len(c) == 8 and set(c) <= set(ALPHABET) for c in codes)
    assert [r[6] for r in rows] == [f"https://t.me/cq_test_bot?start={c}" for c in codes]

    async def hashes() -> list[str]:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                return list((await session.scalars(select(Staff.invite_code_hash).order_by(Staff.id))).all())
        finally:
            await engine.dispose()

    assert asyncio.run(hashes()) == [hash_code(c) for c in codes]
    csv_out = tmp_path / "ma.csv"
    result = congkhai(db_url, "staff", "invites", "--format", "csv", "-o", str(csv_out))
    assert result.exit_code == 0
    text = csv_out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("STT,Họ và tên")
    assert len(text.splitlines()) == 5


def test_a_changed_phone_keeps_the_person_with_the_old_phone_column(db_url: str, tmp_path: Path) -> None:
    congkhai(db_url, "staff", "import", str(write(tmp_path, "a.csv", HEADER + "\n".join(ROWS))))
    before = snapshot(db_url)
    header = "Họ và tên,Đơn vị,Số điện thoại,Số điện thoại cũ\n"
    result = congkhai(
        db_url, "staff", "import", str(write(tmp_path, "b.csv", header + "Phạm Thị Dung,Thanh tra,0987 654 322,0912.345.681\n"))
    )
    assert result.exit_code == 0, result.output
    after = snapshot(db_url)
    assert len(after) == 4
    assert after[3][1] == "+84987654322" and after[3][0] == before[3][0]
    bad = congkhai(
        db_url, "staff", "import", str(write(tmp_path, "c.csv", header + "Phạm Thị Dung,Thanh tra,0987654323,0900000000\n"))
    )
    assert bad.exit_code == 1 and "c.csv:2: Số điện thoại cũ: không có ai" in bad.output
    assert snapshot(db_url) == after
