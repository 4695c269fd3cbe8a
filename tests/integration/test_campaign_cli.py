"""`congkhai campaign create|list|plan|close` against a real database.

The command line reads the real clock, so every date here is chosen relative to
today in Asia/Ho_Chi_Minh, and every working-day count goes through the product's
own ``WorkCalendar``: the tests hold on any weekday, around Tết or a nghỉ bù.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli import main
from bot.db.engine import create_engine, session_factory
from bot.db.models import Campaign, CampaignMember
from bot.domain.calendar import WorkCalendar
from bot.domain.dates import format_date_vi, weekday_vi
from tests.cli_helpers import congkhai

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "content" / "quy-che-dan-chu.md"
ROSTER = REPO / "content" / "danh-sach-can-bo.csv"
SECTIONS = 40  # the 40 articles; the "Ban hành kèm theo" line is metadata
STAFF = 40
DEPARTMENTS = [
    "Ban Giám đốc",
    "Phòng Kế hoạch - Tài chính",
    "Phòng Quản lý công nghệ và Thị trường công nghệ",
    "Phòng Quản lý khoa học",
    "Thanh tra Sở",
    "Văn phòng Sở",
]
CAL = WorkCalendar()


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def deadline(decided: dt.date) -> dt.date:
    """The last lawful start (Art. 47.2): the fifth working day after the decision."""
    return CAL.add_working_days(decided, 5)


# --- fixtures and helpers ---------------------------------------------------------


@pytest.fixture
def loaded(db_url: str) -> str:
    """A database holding the sample regulation (document #1) and the 40-person roster."""
    result = congkhai(db_url, "doc", "import", str(SAMPLE))
    assert result.exit_code == 0, result.output
    result = congkhai(db_url, "staff", "import", str(ROSTER))
    assert result.exit_code == 0, result.output
    return db_url


def create(db_url: str, decided: dt.date, start: dt.date, *extra: str) -> Result:
    return congkhai(
        db_url, "campaign", "create", "--doc", "1", "--decided", decided.isoformat(), "--start", start.isoformat(), *extra
    )


def staff(db_url: str) -> list[dict[str, Any]]:
    result = congkhai(db_url, "staff", "list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def stored(db_url: str) -> list[dict[str, Any]]:
    """The campaigns in the database, each with the staff ids of its members."""

    async def read() -> list[dict[str, Any]]:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine)() as session:
                rows = []
                for c in (await session.scalars(select(Campaign).order_by(Campaign.id))).all():
                    members = await session.scalars(
                        select(CampaignMember.staff_id).where(CampaignMember.campaign_id == c.id)
                    )
                    rows.append({
                        "id": c.id, "status": c.status.value, "decided_on": c.decided_on, "start_on": c.start_on,
                        "end_on": c.end_on, "forced": c.forced, "closed_at": c.closed_at,
                        "members": set(members.all()),
                    })
                return rows
        finally:
            await engine.dispose()

    return asyncio.run(read())


def assert_refused(result: Result) -> None:
    assert result.exit_code == 1, result.output
    assert "Không tạo được đợt công khai" in result.output
    assert "Traceback" not in result.output


def assert_nothing_created(db_url: str) -> None:
    assert stored(db_url) == []
    listed = congkhai(db_url, "campaign", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == []


# --- 1. a lawful campaign -----------------------------------------------------------


def _lawful(case: str) -> tuple[dt.date, dt.date]:
    now = today()
    if case == "start-today":
        return now, now
    if case == "start-on-the-deadline":
        return now, deadline(now)
    # decided three working days ago, starting today: still inside the five days
    return CAL.add_working_days(now, -3), now


@pytest.mark.parametrize("case", ["start-today", "start-on-the-deadline", "decided-days-ago"])
def test_a_start_within_five_working_days_creates_the_campaign(loaded: str, case: str) -> None:
    decided, start = _lawful(case)
    assert start <= deadline(decided) and start >= today()
    result = create(loaded, decided, start, "--json")
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["members"] == STAFF
    assert created["start"] == start.isoformat()
    assert created["end"] == (start + dt.timedelta(days=19)).isoformat()
    assert not any(note.startswith("Cảnh báo") for note in created["notes"])
    if CAL.is_working_day(start):
        assert created["notes"] == []

    [campaign] = stored(loaded)
    assert campaign["status"] == "scheduled"
    assert (campaign["decided_on"], campaign["start_on"]) == (decided, start)
    assert campaign["end_on"] == start + dt.timedelta(days=19)
    assert campaign["forced"] is False
    assert campaign["members"] == {p["id"] for p in staff(loaded)}


def test_the_text_output_names_the_campaign_and_its_window(loaded: str) -> None:
    start = deadline(today())
    result = create(loaded, today(), start)
    assert result.exit_code == 0, result.output
    assert f"Đã tạo đợt công khai #1: {STAFF} người nhận" in result.output
    assert format_date_vi(start) in result.output
    assert format_date_vi(start + dt.timedelta(days=19)) in result.output
    assert "congkhai campaign plan 1" in result.output


def test_a_consultation_is_confirmed_as_a_consultation(loaded: str) -> None:
    result = create(loaded, today(), today(), "--kind", "consultation", "--days", "7")
    assert result.exit_code == 0, result.output
    assert f"Đã tạo đợt lấy ý kiến #1: {STAFF} người nhận" in result.output
    assert "đợt công khai" not in result.output


def test_a_longer_window_and_day_first_dates(loaded: str) -> None:
    decided, start = today(), deadline(today())
    result = congkhai(
        loaded, "campaign", "create", "--doc", "1", "--decided", decided.strftime("%d/%m/%Y"),
        "--start", start.strftime("%d/%m/%Y"), "--days", "30", "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["end"] == (start + dt.timedelta(days=29)).isoformat()


def test_a_consultation_has_no_twenty_day_minimum_but_needs_a_day(loaded: str) -> None:
    ok = create(loaded, today(), today(), "--kind", "consultation", "--days", "7", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["end"] == (today() + dt.timedelta(days=6)).isoformat()
    empty = create(loaded, today(), today(), "--kind", "consultation", "--days", "0")
    assert_refused(empty)
    assert "ít nhất 1 ngày" in empty.output
    assert len(stored(loaded)) == 1


# --- 2. Art. 47.2: a late start needs --force ----------------------------------------------


@pytest.mark.parametrize(
    ("late", "start_of"),
    [
        (1, lambda d: d + dt.timedelta(days=1)),  # the calendar day after the deadline, whatever it is
        (1, lambda d: CAL.add_working_days(d, 1)),
        (10, lambda d: CAL.add_working_days(d, 10)),
    ],
    ids=["next-day", "next-working-day", "ten-working-days"],
)
def test_a_late_start_is_refused_without_force_and_recorded_with_it(loaded: str, late: int, start_of: Any) -> None:
    decided = today()
    last = deadline(decided)
    start = start_of(last)

    refused = create(loaded, decided, start)
    assert_refused(refused)
    assert "Điều 47" in refused.output
    assert f"chậm nhất {format_date_vi(last)}" in refused.output
    assert f"chậm {late} ngày làm việc" in refused.output
    assert "--force" in refused.output
    assert_nothing_created(loaded)

    forced = create(loaded, decided, start, "--force")
    assert forced.exit_code == 0, forced.output
    assert "Cảnh báo" in forced.output and "Điều 47" in forced.output  # the clerk is told again
    assert f"{STAFF} người nhận" in forced.output
    [campaign] = stored(loaded)
    assert campaign["forced"] is True
    assert campaign["start_on"] == start and campaign["end_on"] == start + dt.timedelta(days=19)


# --- 3. what --force cannot override -----------------------------------------------------


@pytest.mark.parametrize("days", ["19", "1", "0", "-5"])
@pytest.mark.parametrize("force", [False, True], ids=["plain", "forced"])
def test_a_window_under_twenty_days_is_refused(loaded: str, days: str, force: bool) -> None:
    result = create(loaded, today(), deadline(today()), "--days", days, *(["--force"] if force else []))
    assert_refused(result)
    assert "20 ngày" in result.output
    assert "Điều 48" in result.output
    assert "--force" not in result.output  # no point suggesting it
    assert_nothing_created(loaded)


@pytest.mark.parametrize("force", [False, True], ids=["plain", "forced"])
def test_a_start_before_the_decision_is_refused_even_with_force(loaded: str, force: bool) -> None:
    decided = CAL.add_working_days(today(), 3)
    start = decided - dt.timedelta(days=1)
    result = create(loaded, decided, start, *(["--force"] if force else []))
    assert_refused(result)
    assert "sớm hơn ngày ban hành" in result.output
    assert format_date_vi(decided) in result.output
    assert "--force" not in result.output
    assert_nothing_created(loaded)


@pytest.mark.parametrize("force", [False, True], ids=["plain", "forced"])
def test_a_start_in_the_past_is_refused(loaded: str, force: bool) -> None:
    start = today() - dt.timedelta(days=1)
    result = create(loaded, start - dt.timedelta(days=1), start, *(["--force"] if force else []))
    assert_refused(result)
    assert "đã qua" in result.output
    assert_nothing_created(loaded)


def test_a_missing_document_or_an_empty_roster_is_refused(db_url: str) -> None:
    result = create(db_url, today(), today())
    assert_refused(result)
    assert "không có văn bản #1" in result.output
    assert congkhai(db_url, "doc", "import", str(SAMPLE)).exit_code == 0
    result = create(db_url, today(), today())
    assert_refused(result)
    assert "không có ai trong danh sách nhận" in result.output
    assert_nothing_created(db_url)


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--decided", "31/02/2026", "không có trên lịch"),
        ("--decided", "hôm qua", "Không đọc được ngày"),
        ("--send-window", "10:30-08:00", "Khung giờ"),
    ],
)
def test_a_malformed_value_is_a_usage_error_in_vietnamese(loaded: str, option: str, value: str, expected: str) -> None:
    args = {"--decided": today().isoformat(), "--start": today().isoformat(), option: value}
    result = congkhai(loaded, "campaign", "create", "--doc", "1", *[x for kv in args.items() for x in kv])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert_nothing_created(loaded)


def test_negative_reminder_days_are_refused_clearly(loaded: str) -> None:
    result = create(loaded, today(), deadline(today()), "--reminder-days", "-1")
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    assert_nothing_created(loaded)


def test_an_absurd_number_of_days_is_refused_clearly(loaded: str) -> None:
    result = create(loaded, today(), deadline(today()), "--days", "99999999")
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    assert_nothing_created(loaded)


def test_a_malformed_send_window_is_explained_in_vietnamese_only(loaded: str) -> None:
    result = create(loaded, today(), deadline(today()), "--send-window", "8-10")
    assert result.exit_code == 2, result.output
    assert "Khung giờ “8-10” không hợp lệ" in result.output
    assert "Invalid isoformat" not in result.output


# --- 4. the audience ------------------------------------------------------------------


def _expected(people: list[dict[str, Any]], departments: set[str], role: str | None) -> set[int]:
    return {
        p["id"]
        for p in people
        if (not departments or p["department"] in departments) and (role is None or role in p["roles"])
    }


@pytest.mark.parametrize(
    ("audience", "departments", "role"),
    [
        (["Văn phòng Sở"], {"Văn phòng Sở"}, None),
        (["Van phong So"], {"Văn phòng Sở"}, None),
        (["VĂN PHÒNG SỞ"], {"Văn phòng Sở"}, None),
        (["Thanh tra Sở"], {"Thanh tra Sở"}, None),  # "thanh tra" alone would be a role word
        (["Phòng Quản lý công nghệ và Thị trường công nghệ"], {"Phòng Quản lý công nghệ và Thị trường công nghệ"}, None),
        (["Văn phòng Sở", "Thanh tra Sở"], {"Văn phòng Sở", "Thanh tra Sở"}, None),
        (["lãnh đạo"], set(), "leader"),
        (["lanh dao"], set(), "leader"),
        (["công đoàn"], set(), "union"),
        (["Văn phòng Sở", "lãnh đạo"], {"Văn phòng Sở"}, "leader"),
    ],
)
def test_the_audience_limits_the_members(
    loaded: str, audience: list[str], departments: set[str], role: str | None
) -> None:
    expected = _expected(staff(loaded), departments, role)
    assert 0 < len(expected) < STAFF
    args = [x for value in audience for x in ("--audience", value)]
    result = create(loaded, today(), deadline(today()), *args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["members"] == len(expected)
    [campaign] = stored(loaded)
    assert campaign["members"] == expected


def test_the_roster_has_the_expected_shape_for_the_audience_cases(loaded: str) -> None:
    people = staff(loaded)
    assert len(people) == STAFF
    assert sorted({p["department"] for p in people}) == DEPARTMENTS
    assert len(_expected(people, {"Văn phòng Sở"}, None)) == 10
    assert len(_expected(people, set(), "leader")) == 8


def test_people_who_left_are_not_in_a_new_campaign(loaded: str, tmp_path: Path) -> None:
    lines = ROSTER.read_text(encoding="utf-8").splitlines()
    kept = tmp_path / "con-lai.csv"
    kept.write_text("\n".join(lines[:31]) + "\n", encoding="utf-8")  # header + the first 30 people
    result = congkhai(loaded, "staff", "import", "--sync", str(kept))
    assert result.exit_code == 0, result.output
    active = {p["id"] for p in staff(loaded)}
    assert len(active) == 30
    result = create(loaded, today(), deadline(today()), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["members"] == 30
    assert stored(loaded)[0]["members"] == active


@pytest.mark.parametrize(
    "audience",
    [["Phòng Tổ chức cán bộ"], ["Văn phòng Sở", "Phong Khong Co"], ["cán bộ"]],
    ids=["unknown", "one-of-two-unknown", "staff-is-everyone-not-a-unit"],
)
def test_an_unknown_department_is_refused_and_the_known_ones_are_listed(loaded: str, audience: list[str]) -> None:
    args = [x for value in audience for x in ("--audience", value)]
    result = create(loaded, today(), deadline(today()), *args)
    assert_refused(result)
    assert f"không có đơn vị “{audience[-1]}”" in result.output
    for name in DEPARTMENTS:
        assert name in result.output
    assert_nothing_created(loaded)


# --- 5. the plan --------------------------------------------------------------------

ROW = re.compile(r"^(\d{2})/(\d{1,2})/(\d{4})\s+(Thứ \S+|Chủ nhật)\s+(.+?)\s+(\d+)(?:\s{3}(.*))?$")


def parse_plan(output: str) -> list[tuple[dt.date, str, str, int]]:
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if "Mục gửi" in line and "Số tin" in line)
    rows = []
    for line in lines[header + 1 :]:
        match = ROW.match(line.strip())
        if match is None:
            # only notes follow the table
            assert line.startswith(("Lỗi", "Cảnh báo", "Lưu ý", "Nhắc nhở gửi lúc")), line
            continue
        day, month, year, weekday, sections, chunks, _reminder = match.groups()
        rows.append((dt.date(int(year), int(month), int(day)), weekday, sections, int(chunks)))
    return rows


def parse_sections(cell: str) -> list[int]:
    """``1–4`` → 1..4; ``5`` → 5; ``1–3, 5`` → 1, 2, 3, 5; ``(nhắc nhở)`` or ``—`` → nothing."""
    if cell in ("(nhắc nhở)", "—"):
        return []
    ordinals: list[int] = []
    for part in cell.split(","):
        first, _, last = part.strip().partition("–")
        ordinals.extend(range(int(first), int(last or first) + 1))
    return ordinals


def test_parse_sections() -> None:
    assert parse_sections("1–4") == [1, 2, 3, 4]
    assert parse_sections("5") == [5]
    assert parse_sections("9–11, 13") == [9, 10, 11, 13]
    assert parse_sections("(nhắc nhở)") == []


def telegram_messages(db_url: str) -> int:
    result = congkhai(db_url, "doc", "import", str(SAMPLE), "--dry-run", "--json")
    return sum(len(s["chunks"]["telegram"]) for s in json.loads(result.output)["sections"])


@pytest.mark.parametrize("case", ["start-today", "start-on-the-deadline"])
def test_the_plan_sends_every_section_once_on_working_days_then_reminds(loaded: str, case: str) -> None:
    decided, start = _lawful(case)
    assert create(loaded, decided, start).exit_code == 0
    end = start + dt.timedelta(days=19)

    result = congkhai(loaded, "campaign", "plan", "1")
    assert result.exit_code == 0, result.output
    assert format_date_vi(start) in result.output and format_date_vi(end) in result.output
    assert "08:00–10:30" in result.output
    rows = parse_plan(result.output)

    # One row per working day of the window, in order, none on a weekend or a holiday.
    assert [r[0] for r in rows] == CAL.working_days(start, end)
    for day, weekday, _, _ in rows:
        assert day.weekday() < 5, day
        assert weekday == weekday_vi(day)
        assert weekday not in ("Thứ Bảy", "Chủ nhật")

    # Every section exactly once, in order.
    sent = [o for r in rows for o in parse_sections(r[2])]
    assert Counter(sent) == Counter(range(1, SECTIONS + 1))
    assert sent == sorted(sent)
    assert sum(r[3] for r in rows) == telegram_messages(loaded)

    # The tail is for reminders only.
    working = len(rows)
    tail = min(3, (working - 1) // 2)
    assert tail >= 1
    assert [r[2] for r in rows[-tail:]] == ["(nhắc nhở)"] * tail
    assert all(r[3] == 0 for r in rows[-tail:])
    assert all(r[2] != "(nhắc nhở)" and r[3] > 0 for r in rows[:-tail])


def test_the_plan_follows_the_send_window_and_reminder_days(loaded: str) -> None:
    start = deadline(today())
    result = create(loaded, today(), start, "--send-window", "07:30-09:00", "--reminder-days", "0")
    assert result.exit_code == 0, result.output
    plan = congkhai(loaded, "campaign", "plan", "1")
    assert plan.exit_code == 0, plan.output
    assert "07:30–09:00" in plan.output
    rows = parse_plan(plan.output)
    assert all(r[2] != "(nhắc nhở)" for r in rows)
    assert Counter(o for r in rows for o in parse_sections(r[2])) == Counter(range(1, SECTIONS + 1))


def test_the_plan_of_a_missing_campaign_is_a_clear_error(loaded: str) -> None:
    result = congkhai(loaded, "campaign", "plan", "7")
    assert result.exit_code == 1
    assert "Không có đợt công khai #7" in result.output
    assert "Traceback" not in result.output


# --- 6. closing ------------------------------------------------------------------------


def test_close_ends_the_campaign_once(loaded: str) -> None:
    assert create(loaded, today(), deadline(today())).exit_code == 0
    closed = congkhai(loaded, "campaign", "close", "1")
    assert closed.exit_code == 0, closed.output
    assert "Đã kết thúc đợt #1" in closed.output
    [campaign] = stored(loaded)
    assert campaign["status"] == "closed"
    assert campaign["closed_at"] is not None
    assert len(campaign["members"]) == STAFF  # the record of who was in it stays

    again = congkhai(loaded, "campaign", "close", "1")
    assert again.exit_code == 1
    assert "Đợt #1 đã kết thúc từ trước" in again.output
    assert "Traceback" not in again.output
    assert stored(loaded)[0]["closed_at"] == campaign["closed_at"]

    missing = congkhai(loaded, "campaign", "close", "2")
    assert missing.exit_code == 1
    assert "Không có đợt công khai #2" in missing.output
    assert "Traceback" not in missing.output


def test_list_shows_members_window_and_status(loaded: str) -> None:
    decided, start = today(), deadline(today())
    assert create(loaded, decided, start).exit_code == 0
    assert create(loaded, decided, start, "--audience", "Văn phòng Sở").exit_code == 0

    result = congkhai(loaded, "campaign", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["id"], r["members"], r["status"]) for r in rows] == [(1, STAFF, "scheduled"), (2, 10, "scheduled")]
    for row in rows:
        assert row["document_id"] == 1
        assert row["kind"] == "disclosure"
        assert row["decided_on"] == decided.isoformat()
        assert row["start"] == start.isoformat()
        assert row["end"] == (start + dt.timedelta(days=19)).isoformat()
        assert row["title"].startswith("QUY CHẾ")

    text = congkhai(loaded, "campaign", "list")
    assert text.exit_code == 0 and "chờ bắt đầu" in text.output and f"{STAFF} người" in text.output

    assert congkhai(loaded, "campaign", "close", "1").exit_code == 0
    rows = json.loads(congkhai(loaded, "campaign", "list", "--json").output)
    assert [r["status"] for r in rows] == ["closed", "scheduled"]
    assert "đã kết thúc" in congkhai(loaded, "campaign", "list").output


# --- 7. help ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["create", "list", "plan", "close"])
def test_campaign_commands_have_help_with_an_example(command: str) -> None:
    for flag in ("--help", "-h"):
        result = CliRunner().invoke(main, ["campaign", command, flag])
        assert result.exit_code == 0, result.output
        assert "Ví dụ" in result.output
        assert "congkhai campaign " + command in result.output


def _leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _leaf_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def test_every_command_of_the_cli_has_help_with_an_example() -> None:
    commands = _leaf_commands(main)
    assert {("doc", "import"), ("campaign", "create"), ("staff", "import")} <= set(commands)
    missing = []
    for path in commands:
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        if "Ví dụ" not in result.output:
            missing.append(" ".join(path))
    assert missing == []


def test_the_plan_shows_the_reminder_schedule_beside_the_drip(loaded: str) -> None:
    result = create(loaded, today(), deadline(today()), "--json")
    assert result.exit_code == 0, result.output
    plan = congkhai(loaded, "campaign", "plan", str(json.loads(result.output)["id"]))
    lines = plan.output.splitlines()
    assert "Nhắc nhở" in next(line for line in lines if "Mục gửi" in line)
    rows = [line for line in lines if ROW.match(line.strip())]
    assert "nhắc hằng ngày" not in rows[0]  # day one is not late yet
    assert any("nhắc hằng ngày" in row for row in rows)
    assert rows[-1].rstrip().endswith("nhắc lần cuối")
    assert "mỗi người nhiều nhất một lần một ngày" in plan.output
