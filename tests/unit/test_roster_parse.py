from __future__ import annotations

import pytest

from bot.domain.enums import Role
from bot.domain.roster import normalise_phone, parse_roles, parse_table


@pytest.mark.parametrize(
    "raw",
    ["0912345678", "0912 345 678", "+84 912 345 678", "84912345678", "0912.345.678",
     "(+84) 912-345-678", "912345678", "912345678.0", "0084912345678"],
)
def test_phone_forms_are_one_number(raw: str) -> None:
    assert normalise_phone(raw) == "+84912345678"


@pytest.mark.parametrize("raw", ["12345", "0112345678", "+1 202 555 0100", "09123456789", "abc"])
def test_bad_phones_are_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(ValueError) as error:
        normalise_phone(raw)
    assert raw in str(error.value)


def test_landline_is_accepted() -> None:
    assert normalise_phone("024 3825 1234") == "+842438251234"


def test_roles_from_vietnamese_words() -> None:
    assert parse_roles("") == {Role.STAFF}
    assert parse_roles("Lãnh đạo, Công đoàn") == {Role.STAFF, Role.LEADER, Role.UNION}
    assert parse_roles("thanh tra nhan dan") == {Role.STAFF, Role.INSPECTOR}
    assert parse_roles("quản trị; lãnh đạo") == {Role.STAFF, Role.ADMIN, Role.LEADER}
    with pytest.raises(ValueError, match="giám đốc"):
        parse_roles("giám đốc")


def test_headers_without_diacritics_and_a_title_row_above() -> None:
    table = [
        ["DANH SÁCH CÁN BỘ", "", ""],
        ["STT", "Ho va ten", "Phong ban", "So dien thoai", "Vai tro"],
        ["1", "Nguyễn Văn An", "Văn phòng", "0912 345 678", "lãnh đạo"],
    ]
    parsed = parse_table(table)
    assert parsed.problems == []
    (row,) = parsed.rows
    assert (row.row, row.full_name, row.department, row.phone) == (3, "Nguyễn Văn An", "Văn phòng", "+84912345678")
    assert row.roles == {Role.STAFF, Role.LEADER}


def test_every_problem_of_every_row_is_listed() -> None:
    table = [
        ["Họ và tên", "Đơn vị", "Số điện thoại", "Email", "Vai trò"],
        ["Nguyễn Văn An", "Văn phòng", "0912345678", "an@x.vn", ""],
        ["", "Văn phòng", "12", "not-an-email", "vua"],
        ["Trần Thị Bình", "", "+84 912 345 678", "", ""],
    ]
    parsed = parse_table(table)
    rendered = [p.render("ds.csv") for p in parsed.problems]
    assert "ds.csv:3: Họ và tên: để trống" in rendered
    assert any(r.startswith("ds.csv:3: Số điện thoại:") for r in rendered)
    assert any(r.startswith("ds.csv:3: Email:") for r in rendered)
    assert any(r.startswith("ds.csv:3: Vai trò:") for r in rendered)
    assert "ds.csv:4: Đơn vị: để trống" in rendered
    assert "ds.csv:4: Số điện thoại: trùng với dòng 2 trong cùng tệp" in rendered


def test_missing_column_is_named() -> None:
    parsed = parse_table([["Họ và tên", "Đơn vị"], ["Nguyễn Văn An", "Văn phòng"]])
    assert [p.render("ds.csv") for p in parsed.problems] == ["ds.csv:1: Số điện thoại: thiếu cột này trong dòng tiêu đề"]
    assert parsed.rows == []
