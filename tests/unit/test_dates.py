from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.dates import (
    DateError,
    format_date_short_vi,
    format_date_vi,
    format_datetime_vi,
    parse_date,
    weekday_vi,
)
from bot.domain.texts import t

VN = "Asia/Ho_Chi_Minh"


def test_long_form_as_in_the_tay_ninh_plan():
    assert format_date_vi(date(2023, 3, 7)) == "ngày 07 tháng 3 năm 2023"


def test_long_form_pads_january_and_february_only():
    # Nghị định 30/2020/NĐ-CP, Phụ lục I: day < 10 and months 1, 2 take a leading zero.
    assert format_date_vi(date(2024, 1, 5)) == "ngày 05 tháng 01 năm 2024"
    assert format_date_vi(date(2024, 2, 29)) == "ngày 29 tháng 02 năm 2024"
    assert format_date_vi(date(2026, 11, 23)) == "ngày 23 tháng 11 năm 2026"


@pytest.mark.parametrize(
    ("d", "text"),
    [
        # the forms written in the seeds
        (date(2023, 8, 14), "14/8/2023"),
        (date(2023, 4, 6), "06/4/2023"),
        (date(2024, 1, 30), "30/01/2024"),
        (date(2024, 2, 29), "29/02/2024"),
        (date(2023, 7, 1), "01/7/2023"),
        (date(2017, 10, 3), "03/10/2017"),
    ],
)
def test_short_form_matches_the_seeds(d, text):
    assert format_date_short_vi(d) == text


def test_datetime_short_form_in_local_time():
    at = datetime(2023, 3, 7, 1, 15, tzinfo=timezone.utc)
    assert format_datetime_vi(at, VN) == "08:15 ngày 07/3/2023"
    assert format_datetime_vi(at, ZoneInfo(VN)) == "08:15 ngày 07/3/2023"


def test_datetime_crossing_midnight_shows_the_local_day():
    at = datetime(2023, 3, 6, 17, 30, tzinfo=timezone.utc)
    assert format_datetime_vi(at, VN) == "00:30 ngày 07/3/2023"


def test_datetime_must_be_aware():
    with pytest.raises(ValueError):
        format_datetime_vi(datetime(2023, 3, 7, 8, 15), VN)


def test_weekdays():
    monday = date(2026, 11, 23)
    names = [weekday_vi(monday + timedelta(days=i)) for i in range(7)]
    assert names == ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]


@pytest.mark.parametrize(
    "text",
    ["2026-11-23", "23/11/2026", "23-11-2026", " 23/11/2026 ", "23.11.2026"],
)
def test_parse_accepted_forms(text):
    assert parse_date(text) == date(2026, 11, 23)


def test_parse_one_digit_day_and_month():
    assert parse_date("7/3/2023") == date(2023, 3, 7)
    assert parse_date("2023-3-7") == date(2023, 3, 7)


@pytest.mark.parametrize(
    "text", ["", "hôm nay", "23/11/26", "2026/11/23", "23/11-2026", "11-2026", "23 11 2026"]
)
def test_parse_rejects_with_a_vietnamese_message(text):
    with pytest.raises(ValueError) as caught:
        parse_date(text)
    assert isinstance(caught.value, DateError)
    assert caught.value.key == "date.invalid"
    assert str(caught.value) == t("date.invalid", value=text)


@pytest.mark.parametrize("text", ["31/02/2026", "2026-13-01", "00/01/2026", "29/02/2025"])
def test_parse_rejects_days_not_on_the_calendar(text):
    with pytest.raises(DateError) as caught:
        parse_date(text)
    assert caught.value.key == "date.no_such_day"
    assert text in str(caught.value)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_parse_reads_what_we_write(d):
    assert parse_date(format_date_short_vi(d)) == d
    assert parse_date(d.isoformat()) == d
    assert parse_date(d.strftime("%d-%m-%Y")) == d
