from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import drip
from bot.domain.calendar import WorkCalendar
from bot.domain.drip import (
    DayRole,
    DripError,
    DripPlan,
    SectionSize,
    SendWindow,
    catch_up_plan,
    plan_drip,
    stagger,
    table_header,
)
from bot.domain.legal import window_end

CAL = WorkCalendar()
VN = ZoneInfo("Asia/Ho_Chi_Minh")
START = date(2026, 11, 23)  # a Monday; Tuesday 24/11 is Ngày Văn hóa Việt Nam
END = window_end(START)  # Saturday 12/12/2026


def sections(n: int, chunks: int = 1) -> list[SectionSize]:
    return [SectionSize(i, chunks) for i in range(1, n + 1)]


def utc(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=timezone.utc)


# --- examples ---------------------------------------------------------------------


def test_a_twenty_day_window_with_more_sections_than_days():
    plan = plan_drip([(i, 1 + i % 4) for i in range(1, 31)], START, END, CAL)
    # 14 working days from 23/11 to 12/12/2026; the last 3 are kept for reminders.
    assert len(plan.days) == 14
    assert plan.reminder_days == (date(2026, 12, 9), date(2026, 12, 10), date(2026, 12, 11))
    assert all(not day.ordinals for day in plan.days if day.role is DayRole.REMINDER)
    assert date(2026, 11, 24) not in {item.day for item in plan.items}
    first = plan.items[0]
    assert (first.ordinal, first.day, first.due_utc) == (1, START, utc(2026, 11, 23, 1, 0))
    assert first.due_local == datetime(2026, 11, 23, 8, 0, tzinfo=VN)
    assert all(day.ordinals for day in plan.days if day.role is DayRole.DRIP)
    assert plan.last_due_utc is not None and plan.last_due_utc < utc(2026, 12, 9)
    assert plan.notes == ()


def test_loads_are_balanced_by_chunks():
    # One long section and many short ones: the long one gets a day nearly alone.
    plan = plan_drip([(1, 12)] + [(i, 1) for i in range(2, 26)], START, END, CAL)
    loads = [day.chunks for day in plan.days if day.role is DayRole.DRIP]
    assert loads[0] == 12 and plan.days[0].ordinals == (1,)
    assert max(loads[1:]) - min(loads[1:]) <= 1


def test_fewer_sections_than_days_go_one_a_day_spread_out():
    plan = plan_drip(sections(5), START, END, CAL)
    days = [item.day for item in plan.items]
    assert len(set(days)) == 5
    assert days[0] == START
    assert all(item.due_local.time() == time(8, 0) for item in plan.items)
    drip_days = plan.drip_days
    gaps = [drip_days.index(b) - drip_days.index(a) for a, b in zip(days, days[1:])]
    assert max(gaps) - min(gaps) <= 1


def test_several_sections_a_day_are_spaced_inside_the_send_window():
    plan = plan_drip(sections(33), START, END, CAL)
    first_day = [item for item in plan.items if item.day == START]
    assert [item.due_local.time() for item in first_day] == [time(8, 0), time(8, 50), time(9, 40)]
    assert plan.stagger_budget == timedelta(minutes=50)


def test_window_starting_on_a_weekend_begins_on_monday():
    saturday = date(2026, 11, 21)
    plan = plan_drip(sections(3), saturday, window_end(saturday), CAL)
    assert plan.items[0].day == date(2026, 11, 23)


def test_a_custom_send_window_and_zone():
    plan = plan_drip(
        sections(2),
        START,
        END,
        CAL,
        send_window=SendWindow(time(14, 0), time(16, 0)),
        tz="Asia/Bangkok",
    )
    assert plan.items[0].due_utc == utc(2026, 11, 23, 7, 0)
    assert plan.timezone == "Asia/Bangkok"


def test_a_short_window_shrinks_the_reminder_tail():
    # A consultation from Monday to Friday: 4 working days (Tuesday is a holiday).
    plan = plan_drip(sections(4), START, date(2026, 11, 27), CAL)
    assert len(plan.reminder_days) == 1
    assert [n.key for n in plan.notes] == ["drip.tail_shrunk"]
    assert "4 ngày làm việc" in plan.notes[0].message()
    one_day = plan_drip(sections(4), START, START, CAL)
    assert one_day.reminder_days == ()
    assert {item.day for item in one_day.items} == {START}


def test_no_reminder_tail_when_asked():
    plan = plan_drip(sections(20), START, END, CAL, reminder_days=0)
    assert plan.reminder_days == () and plan.notes == ()
    assert plan.items[-1].day == date(2026, 12, 11)


def test_a_window_without_working_days_is_refused():
    with pytest.raises(DripError) as caught:
        plan_drip(sections(3), date(2027, 2, 5), date(2027, 2, 9), CAL)
    assert caught.value.key == "drip.no_working_days"
    assert "05/02/2027" in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"sections": [(1, 1), (1, 2)]}, "drip.duplicate_section"),
        ({"sections": [(1, 0)]}, "drip.bad_chunks"),
        ({"tz": "Asia/Hanoi_City"}, "drip.bad_timezone"),
    ],
)
def test_bad_input_is_refused_in_vietnamese(kwargs, key):
    args = {"sections": sections(2), "tz": "Asia/Ho_Chi_Minh"} | kwargs
    with pytest.raises(DripError) as caught:
        plan_drip(args["sections"], START, END, CAL, tz=args["tz"])
    assert caught.value.key == key
    assert isinstance(caught.value, ValueError) and str(caught.value)


def test_a_send_window_must_open_before_it_closes():
    with pytest.raises(DripError) as caught:
        SendWindow(time(10, 30), time(8, 0))
    assert caught.value.key == "drip.bad_send_window"


def test_the_day_table_is_in_vietnamese():
    plan = plan_drip(sections(14), START, END, CAL)
    assert table_header() == ("Ngày", "Thứ", "Mục gửi", "Số tin nhắn")
    rows = plan.rows()
    assert rows[0] == ("23/11/2026", "Thứ Hai", "1–2", "2")
    assert rows[1][:2] == ("25/11/2026", "Thứ Tư")
    assert rows[-1] == ("11/12/2026", "Thứ Sáu", "(nhắc nhở)", "0")
    assert drip.format_ranges((1, 2, 3, 5, 7, 8)) == "1–3, 5, 7–8"


def test_no_sections_is_an_empty_plan():
    plan = plan_drip([], START, END, CAL)
    assert plan.items == () and plan.last_due_utc is None
    assert plan.rows()[0][2] == "—"


# --- stagger --------------------------------------------------------------------------


def test_stagger_spreads_people_evenly_and_deterministically():
    due = utc(2026, 11, 23, 1, 0)
    shifted = [stagger(due, i, 2000, 30) for i in range(2000)]
    assert shifted[0] == due
    assert shifted == sorted(shifted)
    assert max(shifted) < due + timedelta(minutes=30)
    assert shifted[1000] == due + timedelta(minutes=15)
    assert stagger(due, 1234, 2000, 30) == shifted[1234]
    # at most a few people share any one second
    assert max(shifted.count(s) for s in set(shifted)) <= 2


def test_stagger_rejects_nonsense():
    due = utc(2026, 11, 23, 1, 0)
    with pytest.raises(ValueError):
        stagger(due, 5, 5, 10)
    with pytest.raises(ValueError):
        stagger(due, 0, 0, 10)
    with pytest.raises(ValueError):
        stagger(due, 0, 1, -1)


# --- later joiners ----------------------------------------------------------------


def test_joining_before_the_start_changes_nothing():
    plan = plan_drip(sections(30), START, END, CAL)
    joiner = catch_up_plan(plan, utc(2026, 11, 20, 3, 0), CAL)
    assert joiner.items == plan.items and joiner.caught_up == ()


def test_a_joiner_gets_the_backlog_now_then_the_plan():
    plan = plan_drip(sections(30), START, END, CAL)
    # Wednesday 25/11 at 09:00 local: sections 1–3 (Monday) and 4–5 (today) are due.
    joined = datetime(2026, 11, 25, 9, 0, tzinfo=VN)
    joiner = catch_up_plan(plan, joined, CAL, per_day=3)
    assert joiner.items[0].due_local == joined  # now, the window is open
    today = [item for item in joiner.items if item.day == date(2026, 11, 25)]
    assert [item.ordinal for item in today] == [1, 2, 3, 4, 5, 6]  # today's 3 + 3 of the backlog
    later = [item for item in joiner.items if item.ordinal not in joiner.caught_up]
    planned = {item.ordinal: item for item in plan.items}
    assert later and all(item == planned[item.ordinal] for item in later)


def test_a_joiner_after_the_send_window_starts_the_next_working_day():
    plan = plan_drip(sections(10), START, END, CAL)
    joiner = catch_up_plan(plan, datetime(2026, 11, 23, 15, 0, tzinfo=VN), CAL)
    assert joiner.items[0].due_local == datetime(2026, 11, 25, 8, 0, tzinfo=VN)


def test_a_very_late_joiner_catches_up_faster():
    plan = plan_drip(sections(30), START, END, CAL)
    joiner = catch_up_plan(plan, datetime(2026, 12, 10, 7, 0, tzinfo=VN), CAL, per_day=3)
    assert joiner.pace == 15
    assert {item.day for item in joiner.items} == {date(2026, 12, 10), date(2026, 12, 11)}


# --- properties -------------------------------------------------------------------


@st.composite
def plans(draw) -> DripPlan:
    count = draw(st.integers(min_value=0, max_value=60))
    sizes = [SectionSize(i * 2 + 1, draw(st.integers(1, 8))) for i in range(count)]
    start = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 1)))
    length = draw(st.integers(min_value=1, max_value=40))
    opens = draw(st.integers(min_value=6 * 60, max_value=10 * 60))
    width = draw(st.integers(min_value=15, max_value=6 * 60))
    closes = opens + width
    window = SendWindow(time(opens // 60, opens % 60), time(closes // 60, closes % 60))
    end = start + timedelta(days=length - 1)
    if not CAL.working_days(start, end):
        end = CAL.next_working_day(end)
    tail = draw(st.integers(min_value=0, max_value=5))
    return plan_drip(sizes, start, end, CAL, send_window=window, reminder_days=tail)


@settings(max_examples=200, deadline=None)
@given(plans())
def test_drip_properties(plan):
    items = plan.items
    working = CAL.working_days(plan.window_start, plan.window_end)
    drip_days = working[: len(working) - len(plan.reminder_days)]
    window = plan.send_window
    opens_utc = datetime.combine(plan.window_start, time(0), tzinfo=VN).astimezone(timezone.utc)

    # every section exactly once, in order
    ordinals = [item.ordinal for item in items]
    assert ordinals == sorted(set(ordinals))
    assert all(a.due_utc < b.due_utc for a, b in zip(items, items[1:]))
    for item in items:
        assert item.due_utc.tzinfo == timezone.utc
        assert item.due_local.astimezone(timezone.utc) == item.due_utc
        assert item.day == item.due_local.date()
        assert CAL.is_working_day(item.day)  # only on working days
        assert window.start <= item.due_local.time() < window.end  # inside the send window
        assert item.day in drip_days  # before the reminder tail
        assert item.due_utc >= opens_utc and item.day >= plan.window_start  # never before start

    # the reminder tail is the end of the window and never more than half of it
    assert list(plan.reminder_days) == working[len(drip_days) :]
    assert len(plan.reminder_days) <= min(plan.reminder_days_requested, (len(working) - 1) // 2)
    if len(plan.reminder_days) < plan.reminder_days_requested:
        assert [n.key for n in plan.notes] == ["drip.tail_shrunk"]

    # one a day when few, every day used when many
    per_day = [len(day.ordinals) for day in plan.days if day.role is DayRole.DRIP]
    if len(items) <= len(drip_days):
        assert max(per_day, default=0) <= 1
        if items:
            assert items[0].day == drip_days[0]
    else:
        assert min(per_day) >= 1

    # the summary agrees with the items
    assert [day.day for day in plan.days] == working
    assert sum(day.chunks for day in plan.days) == sum(item.chunks for item in items)

    # staggering within the budget keeps every copy inside the window and in order
    for a, b in zip(items, items[1:]):
        last = stagger(a.due_utc, 99, 100, plan.stagger_budget.total_seconds() / 60)
        assert last.astimezone(VN).time() <= window.end
        assert last <= b.due_utc


@settings(max_examples=150, deadline=None)
@given(plans(), st.integers(min_value=-3 * 24 * 60, max_value=45 * 24 * 60), st.integers(1, 5))
def test_catch_up_properties(plan, minutes, per_day):
    opens = datetime.combine(plan.window_start, time(0), tzinfo=VN)
    joined = (opens + timedelta(minutes=minutes)).astimezone(timezone.utc)
    joiner = catch_up_plan(plan, joined, CAL, per_day=per_day)
    items = joiner.items
    window = plan.send_window
    planned = {item.ordinal: item for item in plan.items}

    assert [item.ordinal for item in items] == [item.ordinal for item in plan.items]
    assert all(a.due_utc < b.due_utc for a, b in zip(items, items[1:]))
    for item in items:
        assert CAL.is_working_day(item.day)
        assert window.start <= item.due_local.time() < window.end
        if item.ordinal in joiner.caught_up:
            assert item.due_utc >= joined  # never in the past
        else:
            assert item == planned[item.ordinal]  # the rest as planned
            assert item.due_utc >= joined
    # what was already due is caught up; what comes after the catch-up is as planned
    assert all(o in joiner.caught_up for o, i in planned.items() if i.due_utc < joined)
    assert list(joiner.caught_up) == [item.ordinal for item in items[: len(joiner.caught_up)]]
    # caught up within the window whenever a send window of it is still ahead
    last_day = CAL.previous_working_day(plan.window_end, inclusive=True)
    if items and joined < datetime.combine(last_day, window.end, tzinfo=VN):
        assert items[-1].day <= last_day
    # at most per_day of the backlog on top of the plan, unless the pace had to rise
    assert joiner.pace >= per_day


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=2, max_size=14), st.data())
def test_balanced_partition_is_optimal(chunks, data):
    days = data.draw(st.integers(min_value=1, max_value=len(chunks) - 1))
    assignment = drip._balanced_partition(chunks, days)
    assert assignment == sorted(assignment) and set(assignment) == set(range(days))
    loads = [0] * days
    for c, d in zip(chunks, assignment):
        loads[d] += c
    assert sum(x * x for x in loads) == _best_cost(chunks, days)


def _best_cost(chunks: list[int], days: int) -> int:
    """Plain O(days · n²) dynamic programme, the reference for the fast one."""
    n = len(chunks)
    prefix = [0]
    for c in chunks:
        prefix.append(prefix[-1] + c)
    inf = float("inf")
    best = [[inf] * (n + 1) for _ in range(days + 1)]
    best[0][0] = 0
    for k in range(1, days + 1):
        for i in range(k, n + 1):
            best[k][i] = min(
                best[k - 1][j] + (prefix[i] - prefix[j]) ** 2 for j in range(k - 1, i)
            )
    return int(best[days][n])
