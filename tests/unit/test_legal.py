from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import WorkCalendar
from bot.domain.legal import (
    MIN_WINDOW_DAYS,
    CampaignKind,
    Severity,
    WindowError,
    blocking,
    check_campaign,
    check_start,
    check_window,
    publication_deadline,
    window_bounds_utc,
    window_days,
    window_end,
)

CAL = WorkCalendar()


# --- Art. 47.2 --------------------------------------------------------------------


def test_deadline_is_the_fifth_working_day_after_the_decision():
    # Wednesday 18/11/2026: Thu 19, Fri 20, Mon 23, (Tue 24 is Ngày Văn hóa), Wed 25, Thu 26.
    assert publication_deadline(date(2026, 11, 18), CAL) == date(2026, 11, 26)


def test_decision_on_a_friday_before_30_4_and_1_5():
    # Friday 23/4/2027: Mon 26 … Thu 29 work, Fri 30/4 and Mon 3/5 (for Sat 1/5) off.
    assert publication_deadline(date(2027, 4, 23), CAL) == date(2027, 5, 4)


def test_decision_on_a_friday_before_national_day_2026():
    # Friday 28/8/2026: Mon 31/8 (swapped), Tue 1/9 and Wed 2/9 are off.
    assert publication_deadline(date(2026, 8, 28), CAL) == date(2026, 9, 9)


def test_decision_on_a_friday_before_tet_2027():
    deadline = publication_deadline(date(2027, 1, 29), CAL)
    assert deadline > date(2027, 2, 9)  # Tết is not counted
    assert CAL.working_days_between(date(2027, 1, 29), deadline) == 5


def test_start_on_time_has_no_issue():
    decided = date(2027, 4, 23)
    assert check_start(decided, decided, CAL) == []
    assert check_start(decided, date(2027, 5, 4), CAL) == []


def test_late_start_is_a_warning_that_needs_force():
    issues = check_start(date(2027, 4, 23), date(2027, 5, 5), CAL)
    assert [i.key for i in issues] == ["legal.start_late"]
    late = issues[0]
    assert late.severity is Severity.WARNING and late.needs_force
    assert late.values["late"] == "1"
    assert late.values["deadline"] == "ngày 04 tháng 5 năm 2027"
    assert "khoản 2 Điều 47" in late.message()
    assert "ngày 04 tháng 5 năm 2027" in late.message()
    assert late.severity_label == "Cảnh báo"
    assert blocking(issues) == issues
    assert blocking(issues, force=True) == []


def test_start_before_the_decision_is_refused_even_with_force():
    issues = check_start(date(2027, 4, 23), date(2027, 4, 22), CAL)
    assert [i.key for i in issues] == ["legal.start_before_decision"]
    assert issues[0].severity is Severity.ERROR
    assert blocking(issues, force=True) == issues


def test_start_on_a_holiday_is_only_information():
    issues = check_start(date(2027, 4, 26), date(2027, 4, 30), CAL)
    assert [(i.key, i.severity) for i in issues] == [
        ("legal.start_not_working_day", Severity.INFO)
    ]
    assert issues[0].values["first"] == "ngày 04 tháng 5 năm 2027"
    assert blocking(issues) == []


# --- Art. 48.1 ----------------------------------------------------------------------


def test_a_20_day_window_ends_on_the_19th_day_after_the_start():
    start = date(2026, 11, 23)
    assert window_end(start) == date(2026, 12, 12)
    assert window_end(start, 20) == start + timedelta(days=19)
    assert window_days(start, date(2026, 12, 12)) == MIN_WINDOW_DAYS == 20
    assert check_window(start, date(2026, 12, 12)) == []


def test_window_bounds_are_twenty_full_local_days():
    opens, closes = window_bounds_utc(date(2026, 11, 23), date(2026, 12, 12), "Asia/Ho_Chi_Minh")
    assert opens == datetime(2026, 11, 22, 17, 0, tzinfo=timezone.utc)
    assert closes == datetime(2026, 12, 12, 17, 0, tzinfo=timezone.utc)
    assert closes - opens == timedelta(days=20)


def test_a_window_shorter_than_20_days_is_refused_with_the_reason():
    with pytest.raises(WindowError) as caught:
        window_end(date(2026, 11, 23), 19)
    assert isinstance(caught.value, ValueError)
    assert caught.value.issue.key == "legal.window_too_short"
    assert "19 ngày" in str(caught.value) and "20 ngày" in str(caught.value)
    assert "khoản 1 Điều 48" in str(caught.value)

    issues = check_window(date(2026, 11, 23), date(2026, 12, 11))
    assert [(i.key, i.severity) for i in issues] == [("legal.window_too_short", Severity.ERROR)]


def test_a_longer_window_is_fine():
    start = date(2026, 11, 23)
    assert window_end(start, 30) == date(2026, 12, 22)


def test_consultation_has_no_minimum_but_needs_a_deadline():
    start = date(2026, 11, 23)
    assert window_end(start, 5, CampaignKind.CONSULTATION) == date(2026, 11, 27)
    assert window_end(start, 1, "consultation") == start
    assert check_window(start, date(2026, 11, 27), "consultation") == []
    assert [i.key for i in check_window(start, None, "consultation")] == [
        "legal.consultation_needs_deadline"
    ]
    with pytest.raises(WindowError):
        window_end(start, 0, "consultation")


def test_window_end_must_exist_and_follow_the_start():
    start = date(2026, 11, 23)
    assert [i.key for i in check_window(start, None)] == ["legal.window_needs_end"]
    assert [i.key for i in check_window(start, date(2026, 11, 22), "consultation")] == [
        "legal.window_end_before_start"
    ]


def test_check_campaign_collects_everything():
    issues = check_campaign(date(2027, 4, 23), date(2027, 5, 8), date(2027, 5, 20), CAL)
    assert [i.key for i in issues] == [
        "legal.start_late",
        "legal.start_not_working_day",
        "legal.window_too_short",
    ]
    for issue in issues:
        assert issue.message()  # every key exists and every value is supplied


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=0, max_value=15),
)
def test_start_is_late_exactly_after_the_deadline(decided, offset):
    start = decided + timedelta(days=offset)
    late = any(i.key == "legal.start_late" for i in check_start(decided, start, CAL))
    assert late == (start > publication_deadline(decided, CAL))
    if late:
        [issue] = [i for i in check_start(decided, start, CAL) if i.key == "legal.start_late"]
        assert int(issue.values["late"]) >= 1
    assert CAL.is_working_day(publication_deadline(decided, CAL))


@given(st.dates(), st.integers(min_value=MIN_WINDOW_DAYS, max_value=400))
def test_window_end_and_days_are_inverse(start, days):
    if start + timedelta(days=days) > date.max:
        return
    assert window_days(start, window_end(start, days)) == days
