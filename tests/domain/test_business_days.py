from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from domain.business_days import (
    add_business_days,
    is_business_day,
    next_business_day,
    next_business_day_at,
)

DENVER = ZoneInfo("America/Denver")


def mt(*args: int) -> datetime:
    """A Montana wall-clock time."""
    return datetime(*args, tzinfo=DENVER)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 11, 26), True),  # Wednesday before Thanksgiving
        (date(2025, 11, 27), False),  # Thanksgiving
        (date(2025, 11, 28), True),  # Montana does not close the Friday after
        (date(2025, 11, 29), False),  # Saturday
        (date(2025, 11, 30), False),  # Sunday
        (date(2025, 12, 25), False),  # Christmas
        (date(2026, 1, 1), False),  # New Year's Day
        (date(2025, 1, 20), False),  # Martin Luther King Jr. Day
        (date(2025, 2, 17), False),  # Lincoln's and Washington's Birthdays
        (date(2024, 11, 5), False),  # general election day, a Montana state holiday
        (date(2025, 11, 4), True),  # no general election in odd years
        (date(2026, 7, 3), False),  # Independence Day (a Saturday) observed on Friday
        (date(2027, 12, 31), False),  # New Year's Day 2028 (a Saturday) observed the year before
        (date(2025, 6, 18), True),
        (date(2025, 6, 19), False),  # Juneteenth: federal, included by the holidays package
    ],
)
def test_is_business_day(day, expected):
    assert is_business_day(day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 11, 26), date(2025, 11, 28)),  # over Thanksgiving
        (date(2025, 1, 17), date(2025, 1, 21)),  # Friday before a Monday holiday
        (date(2025, 12, 31), date(2026, 1, 2)),  # over New Year's Day
        (date(2025, 11, 29), date(2025, 12, 1)),  # Saturday
    ],
)
def test_next_business_day(day, expected):
    assert next_business_day(day) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        pytest.param(mt(2025, 6, 16, 10, 0), 1, mt(2025, 6, 17, 10, 0), id="plain weekday"),
        pytest.param(mt(2025, 6, 13, 10, 0), 1, mt(2025, 6, 16, 10, 0), id="over a weekend"),
        pytest.param(mt(2025, 6, 2, 10, 0), 5, mt(2025, 6, 9, 10, 0), id="five days is a week"),
        pytest.param(mt(2025, 11, 24, 10, 0), 5, mt(2025, 12, 2, 10, 0), id="over Thanksgiving"),
        pytest.param(mt(2025, 12, 24, 9, 0), 1, mt(2025, 12, 26, 9, 0), id="over Christmas"),
        pytest.param(mt(2025, 12, 31, 12, 0), 1, mt(2026, 1, 2, 12, 0), id="over New Year"),
        pytest.param(
            mt(2025, 1, 17, 14, 0), 1, mt(2025, 1, 21, 14, 0), id="Friday before Monday holiday"
        ),
        pytest.param(
            mt(2025, 1, 17, 14, 0), 5, mt(2025, 1, 27, 14, 0), id="escalation after holiday weekend"
        ),
        pytest.param(
            mt(2025, 2, 14, 15, 30), 5, mt(2025, 2, 24, 15, 30), id="Presidents Day weekend"
        ),
        pytest.param(
            mt(2025, 12, 22, 11, 0), 5, mt(2025, 12, 30, 11, 0), id="Christmas week"
        ),
    ],
)
def test_add_business_days_keeps_local_wall_clock(start, n, expected):
    assert add_business_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected_utc"),
    [
        # DST starts Sunday 9 March 2025: 16:00 MST is 23:00 UTC, 16:00 MDT is 22:00 UTC.
        pytest.param(utc(2025, 3, 7, 23, 0), 1, utc(2025, 3, 10, 22, 0), id="spring forward"),
        # DST ends Sunday 2 November 2025: 16:00 MDT is 22:00 UTC, 16:00 MST is 23:00 UTC.
        pytest.param(utc(2025, 10, 31, 22, 0), 1, utc(2025, 11, 3, 23, 0), id="fall back"),
        # 05:00 UTC Saturday is still Friday 22:00 in Montana: Friday counts, not Saturday.
        pytest.param(utc(2025, 11, 29, 5, 0), 1, utc(2025, 12, 2, 5, 0), id="local date counts"),
    ],
)
def test_add_business_days_across_dst_and_in_utc(start, n, expected_utc):
    result = add_business_days(start, n)
    assert result == expected_utc
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        pytest.param(mt(2025, 3, 8, 10, 0), 5, mt(2025, 3, 17, 0, 0), id="Saturday, 5 days"),
        pytest.param(mt(2025, 3, 9, 23, 0), 1, mt(2025, 3, 11, 0, 0), id="Sunday, 1 day"),
        pytest.param(mt(2025, 11, 27, 10, 0), 1, mt(2025, 12, 1, 0, 0), id="Thanksgiving"),
        pytest.param(mt(2025, 11, 2, 1, 30), 0, mt(2025, 11, 3, 0, 0), id="Sunday in the fold"),
    ],
)
def test_add_business_days_from_a_non_business_day_counts_from_next_midnight(start, n, expected):
    assert add_business_days(start, n) == expected


def test_zero_days_on_a_business_day_is_the_start_itself():
    start = mt(2025, 6, 18, 13, 45, 12)
    assert add_business_days(start, 0) == start


def test_any_fixed_offset_timezone_is_accepted():
    start = datetime(2025, 6, 16, 12, 0, tzinfo=timezone(timedelta(hours=-4)))  # 10:00 in MT
    assert add_business_days(start, 1) == mt(2025, 6, 17, 10, 0)


@pytest.mark.parametrize(
    ("start", "n"), [(datetime(2025, 6, 16, 10, 0), 1), (mt(2025, 6, 16, 10, 0), -1)]
)
def test_add_business_days_refuses_naive_start_and_negative_n(start, n):
    with pytest.raises(ValueError):
        add_business_days(start, n)


@pytest.mark.parametrize(
    ("start", "expected_utc"),
    [
        # 17:00 MST is 00:00 UTC the next day; 17:00 MDT is 23:00 UTC.
        pytest.param(mt(2025, 11, 24, 8, 0), utc(2025, 11, 26, 0, 0), id="Monday morning"),
        pytest.param(mt(2025, 11, 24, 20, 0), utc(2025, 11, 26, 0, 0), id="Monday evening"),
        pytest.param(mt(2025, 11, 26, 10, 0), utc(2025, 11, 29, 0, 0), id="before Thanksgiving"),
        pytest.param(mt(2025, 1, 17, 9, 0), utc(2025, 1, 22, 0, 0), id="Friday before MLK Day"),
        pytest.param(mt(2025, 12, 24, 9, 0), utc(2025, 12, 27, 0, 0), id="Christmas Eve"),
        pytest.param(mt(2025, 12, 31, 9, 0), utc(2026, 1, 3, 0, 0), id="New Year's Eve"),
        pytest.param(mt(2025, 3, 8, 10, 0), utc(2025, 3, 10, 23, 0), id="Saturday, DST starts"),
        pytest.param(mt(2025, 10, 31, 16, 0), utc(2025, 11, 4, 0, 0), id="Friday, DST ends"),
    ],
)
def test_next_business_day_at_five_pm(start, expected_utc):
    result = next_business_day_at(start)
    assert result == expected_utc
    assert result.tzinfo is UTC
    assert result.astimezone(DENVER).hour == 17


def test_next_business_day_at_another_hour():
    assert next_business_day_at(mt(2025, 6, 13, 16, 0), hour=9) == mt(2025, 6, 16, 9, 0)


@pytest.mark.parametrize("hour", [-1, 24])
def test_next_business_day_at_refuses_impossible_hours(hour):
    with pytest.raises(ValueError):
        next_business_day_at(mt(2025, 6, 13, 16, 0), hour=hour)


def test_next_business_day_at_refuses_naive_start():
    with pytest.raises(ValueError):
        next_business_day_at(datetime(2025, 6, 13, 16, 0))
