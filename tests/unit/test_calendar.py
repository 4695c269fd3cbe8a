from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import WorkCalendar

CAL = WorkCalendar()


def test_plain_week():
    monday = date(2026, 11, 16)
    week = [monday + timedelta(days=i) for i in range(7)]
    assert [CAL.is_working_day(d) for d in week] == [True] * 5 + [False] * 2


def test_tet_2027_is_not_working():
    # Giao thừa is Friday 5/2/2027; mùng 1 and 2 fall on the weekend and are made up
    # on the following working days (Labour Code Art. 111–112).
    for d in [date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9)]:
        assert not CAL.is_working_day(d), d
    assert CAL.is_working_day(date(2027, 2, 1))
    assert CAL.is_working_day(date(2027, 2, 15))


def test_reunification_and_labour_day_2027():
    assert not CAL.is_working_day(date(2027, 4, 30))  # Friday
    assert not CAL.is_working_day(date(2027, 5, 1))  # Saturday
    assert not CAL.is_working_day(date(2027, 5, 3))  # Monday, made up for 1/5
    assert CAL.is_working_day(date(2027, 5, 4))


def test_national_day_2027():
    assert not CAL.is_working_day(date(2027, 9, 2))
    assert not CAL.is_working_day(date(2027, 9, 3))
    assert CAL.is_working_day(date(2027, 9, 1))
    assert CAL.is_working_day(date(2027, 9, 6))


def test_national_day_2026_with_the_public_sector_swap():
    # 2026: Monday 31/8 off, Saturday 22/8 worked instead.
    for d in [date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)]:
        assert not CAL.is_working_day(d)
    assert CAL.is_working_day(date(2026, 8, 22))


def test_hung_kings_day_on_a_sunday_is_made_up_on_monday():
    assert not CAL.is_working_day(date(2026, 4, 27))


def test_swap_2024_saturday_worked():
    assert not CAL.is_working_day(date(2024, 4, 29))
    assert CAL.is_working_day(date(2024, 5, 4))  # Saturday


def test_swap_across_new_year_is_known_from_either_side():
    fresh = WorkCalendar()
    assert fresh.is_working_day(date(2019, 1, 5))  # Saturday, worked for 31/12/2018
    assert not fresh.is_working_day(date(2018, 12, 31))


def test_vietnam_culture_day_from_2026():
    assert not CAL.is_working_day(date(2026, 11, 24))
    assert CAL.is_working_day(date(2025, 11, 24))


def test_holiday_names_are_vietnamese():
    assert "Quốc khánh" in (CAL.holiday_name(date(2027, 9, 2)) or "")
    assert CAL.holiday_name(date(2026, 11, 21)) is None  # a plain Saturday
    assert CAL.holiday_name(date(2026, 11, 23)) is None


def test_extra_days_win_over_the_package():
    cal = WorkCalendar(
        extra_holidays=[date(2026, 11, 23)],
        extra_working_days=[date(2026, 11, 21), date(2026, 11, 24)],
    )
    assert not cal.is_working_day(date(2026, 11, 23))
    assert cal.is_working_day(date(2026, 11, 21))  # a Saturday
    assert cal.is_working_day(date(2026, 11, 24))  # a holiday
    assert cal.holiday_name(date(2026, 11, 23))
    assert cal.holiday_name(date(2026, 11, 24)) is None


def test_a_day_cannot_be_both_extra_holiday_and_extra_working_day():
    with pytest.raises(ValueError):
        WorkCalendar(extra_holidays=[date(2026, 1, 2)], extra_working_days=[date(2026, 1, 2)])


def test_next_working_day():
    friday = date(2026, 11, 20)
    assert CAL.next_working_day(friday) == date(2026, 11, 23)
    assert CAL.next_working_day(friday, inclusive=True) == friday
    assert CAL.next_working_day(date(2026, 11, 21), inclusive=True) == date(2026, 11, 23)
    # Monday 23/11/2026 is followed by Ngày Văn hóa Việt Nam.
    assert CAL.next_working_day(date(2026, 11, 23)) == date(2026, 11, 25)
    assert CAL.previous_working_day(date(2026, 11, 23)) == friday


def test_add_working_days_over_30_4_and_1_5():
    # Friday 24/4/2026; Monday 27/4 is Giỗ Tổ made up, 30/4 and 1/5 are off.
    friday = date(2026, 4, 24)
    assert CAL.add_working_days(friday, 1) == date(2026, 4, 28)
    assert CAL.add_working_days(friday, 5) == date(2026, 5, 6)
    assert CAL.add_working_days(friday, 0) == friday
    assert CAL.add_working_days(date(2026, 5, 6), -5) == friday


def test_working_days_between_and_list():
    start, end = date(2026, 11, 20), date(2026, 11, 27)
    assert CAL.working_days(start, end) == [
        date(2026, 11, 20),
        date(2026, 11, 23),
        date(2026, 11, 25),
        date(2026, 11, 26),
        date(2026, 11, 27),
    ]
    assert CAL.working_days_between(start, end) == 4  # (start, end]
    assert CAL.working_days_between(end, start) == -4  # [start, end)
    assert CAL.working_days_between(start, start) == 0
    assert CAL.working_days(end, start) == []


days = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))


@given(days, st.integers(min_value=-40, max_value=40))
def test_add_and_between_are_inverse(d, n):
    moved = CAL.add_working_days(d, n)
    assert CAL.working_days_between(d, moved) == n
    if n:
        assert CAL.is_working_day(moved)
        assert (moved > d) == (n > 0)


@given(days, st.integers(min_value=0, max_value=60))
def test_working_days_are_working_sorted_and_counted(start, length):
    end = start + timedelta(days=length)
    listed = CAL.working_days(start, end)
    assert listed == sorted(set(listed))
    assert all(CAL.is_working_day(d) and start <= d <= end for d in listed)
    assert len(listed) == CAL.working_days_between(start - timedelta(days=1), end)
    weekend_worked = {date(2024, 5, 4), date(2025, 4, 26), date(2026, 8, 22)}
    assert all(d.weekday() < 5 or d in weekend_worked for d in listed if 2020 <= d.year <= 2026)
