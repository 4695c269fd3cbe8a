"""The staff roster as the clerk's spreadsheet has it: headers in Vietnamese
(with or without diacritics), phones written every which way, roles in words.

Parsing collects every problem of every row, so the clerk fixes the file once;
the service imports nothing unless the list of problems is empty.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.domain.enums import Role
from bot.domain.text import fold, nfc
from bot.domain.texts import t

FIELDS = ("full_name", "department", "position", "phone", "old_phone", "email", "roles")
REQUIRED_FIELDS = ("full_name", "department", "phone")

# Folded header text -> field. Anything not here (STT, Ghi chú…) is ignored.
HEADERS: dict[str, str] = {
    "ho va ten": "full_name",
    "ho ten": "full_name",
    "ho, ten": "full_name",
    "ten can bo": "full_name",
    "don vi": "department",
    "phong ban": "department",
    "phong, ban": "department",
    "bo phan": "department",
    "don vi cong tac": "department",
    "phong": "department",
    "chuc vu": "position",
    "chuc danh": "position",
    "so dien thoai": "phone",
    "dien thoai": "phone",
    "sdt": "phone",
    "so dt": "phone",
    "dien thoai di dong": "phone",
    "so dien thoai cu": "old_phone",
    "sdt cu": "old_phone",
    "email": "email",
    "e-mail": "email",
    "thu dien tu": "email",
    "vai tro": "roles",
    "quyen": "roles",
}

ROLE_WORDS: dict[str, Role] = {
    "": Role.STAFF,
    "can bo": Role.STAFF,
    "cong chuc": Role.STAFF,
    "nhan vien": Role.STAFF,
    "nguoi lao dong": Role.STAFF,
    "lanh dao": Role.LEADER,
    "cong doan": Role.UNION,
    "ban chap hanh cong doan": Role.UNION,
    "thanh tra nhan dan": Role.INSPECTOR,
    "ban thanh tra nhan dan": Role.INSPECTOR,
    "bttnd": Role.INSPECTOR,
    "quan tri": Role.ADMIN,
    "quan tri vien": Role.ADMIN,
    "van thu": Role.ADMIN,
}

ROLE_NAMES_VI: dict[Role, str] = {
    Role.STAFF: "cán bộ",
    Role.LEADER: "lãnh đạo",
    Role.UNION: "công đoàn",
    Role.INSPECTOR: "thanh tra nhân dân",
    Role.ADMIN: "quản trị",
}

_PHONE_JUNK = re.compile(r"[\s.\-()/]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ROLE_SPLIT = re.compile(r"[,;/+]|\s+và\s+", re.IGNORECASE)
MAX_NAME = 200


class PhoneError(ValueError):
    """``str(error)`` is the Vietnamese reason."""


def normalise_phone(raw: str) -> str:
    """Return a Vietnamese phone number in E.164 (``+84912345678``).

    Accepts ``0912 345 678``, ``+84 912 345 678``, ``84912345678``, dots and dashes,
    and the nine digits a spreadsheet leaves when it drops the leading zero.
    """
    digits = raw.strip().removesuffix(".0")  # a number that went through a float
    digits = _PHONE_JUNK.sub("", digits)
    if digits.startswith("+"):
        if not digits.startswith("+84"):
            raise PhoneError(t("roster.phone_foreign", value=raw))
        national = digits[3:]
    elif digits.startswith("0084"):
        national = digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if not (national.isascii() and national.isdigit()):  # "²" and "١" are digits to str.isdigit
        raise PhoneError(t("roster.phone_invalid", value=raw))
    mobile = len(national) == 9 and national[0] in "35789"
    landline = len(national) == 10 and national[0] == "2"
    if not (mobile or landline):
        raise PhoneError(t("roster.phone_invalid", value=raw))
    return "+84" + national


def display_phone(e164: str) -> str:
    """``+84912345678`` -> ``0912 345 678``: how people write their own number."""
    national = "0" + e164.removeprefix("+84")
    return f"{national[:4]} {national[4:7]} {national[7:]}"


def parse_roles(raw: str) -> frozenset[Role]:
    """Roles from Vietnamese words; every person is at least staff."""
    roles = {Role.STAFF}
    for word in _ROLE_SPLIT.split(nfc(raw)):
        key = fold(word)
        if key in (r.value for r in Role):
            roles.add(Role(key))
            continue
        if key not in ROLE_WORDS:
            raise ValueError(t("roster.role_unknown", value=word.strip()))
        roles.add(ROLE_WORDS[key])
    return frozenset(roles)


@dataclass(frozen=True)
class RosterRow:
    row: int
    full_name: str
    department: str
    position: str | None
    phone: str
    email: str | None
    roles: frozenset[Role]
    old_phone: str | None = None  # the number the roster knew this person by, when it changed


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file, shown as ``file:row: field: reason``."""

    row: int | None
    field: str | None
    reason: str

    def render(self, filename: str) -> str:
        where = f"{filename}:{self.row}" if self.row is not None else filename
        label = FIELD_LABELS.get(self.field or "", self.field)
        return f"{where}: {label}: {self.reason}" if label else f"{where}: {self.reason}"


FIELD_LABELS = {
    "full_name": "Họ và tên",
    "department": "Đơn vị",
    "position": "Chức vụ",
    "phone": "Số điện thoại",
    "old_phone": "Số điện thoại cũ",
    "email": "Email",
    "roles": "Vai trò",
}


@dataclass
class RosterParse:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def map_headers(cells: Sequence[str]) -> dict[str, int]:
    """Column index of each known field in a header row."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = HEADERS.get(fold(cell).rstrip(":*"))
        if name and name not in found:
            found[name] = index
    return found


def find_header(table: Sequence[Sequence[str]], look: int = 10) -> int | None:
    """Index of the header row: the first of the top rows naming a person's name
    and at least one other field (real sheets have a title above the table)."""
    for index, cells in enumerate(table[:look]):
        found = map_headers(cells)
        if "full_name" in found and len(found) >= 2:
            return index
    return None


def parse_table(table: Sequence[Sequence[str]], first_row_number: int = 1) -> RosterParse:
    """Parse a whole sheet (rows of cell strings). Row numbers are as the clerk sees them."""
    result = RosterParse()
    header_index = find_header(table)
    if header_index is None:
        result.problems.append(Problem(None, None, t("roster.no_header")))
        return result
    columns = map_headers(table[header_index])
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    for name in missing:
        result.problems.append(
            Problem(first_row_number + header_index, name, t("roster.missing_column"))
        )
    if missing:
        return result
    seen_phones: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for offset, cells in enumerate(table[header_index + 1 :], start=header_index + 1):
        row_number = first_row_number + offset
        values = {f: nfc(cells[i]).strip() if i < len(cells) else "" for f, i in columns.items()}
        if not any(values.values()):
            continue  # blank lines between blocks are common
        parsed = _parse_row(row_number, values, result.problems)
        _check_unique(row_number, "phone", _phone_key(values.get("phone", "")), seen_phones, result.problems)
        _check_unique(row_number, "email", values.get("email", "").casefold(), seen_emails, result.problems)
        if parsed is not None:
            result.rows.append(parsed)
    if not result.rows and not result.problems:
        result.problems.append(Problem(None, None, t("roster.no_rows")))
    return result


def _phone_key(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except PhoneError:
        return ""


def _check_unique(row: int, name: str, key: str, seen: dict[str, int], problems: list[Problem]) -> None:
    if not key:
        return
    if key in seen:
        problems.append(Problem(row, name, t("roster.duplicate_in_file", other=seen[key])))
    else:
        seen[key] = row


def _parse_row(number: int, values: dict[str, str], problems: list[Problem]) -> RosterRow | None:
    before = len(problems)
    full_name = " ".join(values.get("full_name", "").split())
    if not full_name:
        problems.append(Problem(number, "full_name", t("roster.empty")))
    elif len(full_name) > MAX_NAME or any(ch.isdigit() for ch in full_name):
        problems.append(Problem(number, "full_name", t("roster.name_invalid", value=full_name)))
    department = " ".join(values.get("department", "").split())
    if not department:
        problems.append(Problem(number, "department", t("roster.empty")))
    phone = ""
    if not values.get("phone"):
        problems.append(Problem(number, "phone", t("roster.empty")))
    else:
        try:
            phone = normalise_phone(values["phone"])
        except PhoneError as error:
            problems.append(Problem(number, "phone", str(error)))
    old_phone = None
    if values.get("old_phone"):
        try:
            old_phone = normalise_phone(values["old_phone"])
        except PhoneError as error:
            problems.append(Problem(number, "old_phone", str(error)))
    email = values.get("email") or None
    if email and not _EMAIL.match(email):
        problems.append(Problem(number, "email", t("roster.email_invalid", value=email)))
    roles: frozenset[Role] = frozenset({Role.STAFF})
    try:
        roles = parse_roles(values.get("roles", ""))
    except ValueError as error:
        problems.append(Problem(number, "roles", str(error)))
    if len(problems) > before:
        return None
    return RosterRow(
        row=number,
        full_name=full_name,
        department=department,
        position=" ".join(values.get("position", "").split()) or None,
        phone=phone,
        email=email,
        roles=roles,
        old_phone=old_phone if old_phone != phone else None,
    )
