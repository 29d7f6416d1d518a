from datetime import date

import pytest

from domain.errors import ValidationFailed
from domain.mou import (
    MouStatus,
    check_signed_name,
    is_mou_valid,
    may_sign,
    mou_expires_on,
    mou_status,
    mou_status_on,
    reminder_dates,
)


@pytest.mark.parametrize(
    ("signed_on", "expires_on"),
    [
        (date(2025, 7, 1), date(2026, 7, 1)),
        (date(2024, 2, 29), date(2025, 2, 28)),
        (date(2025, 12, 31), date(2026, 12, 31)),
    ],
)
def test_mou_expires_on(signed_on, expires_on):
    assert mou_expires_on(signed_on) == expires_on


@pytest.mark.parametrize(
    ("expires_on", "days_before", "dates"),
    [
        (date(2026, 7, 1), (30, 7), (date(2026, 6, 1), date(2026, 6, 24))),
        (date(2026, 7, 1), (7, 30), (date(2026, 6, 1), date(2026, 6, 24))),
        (date(2026, 3, 3), (30,), (date(2026, 2, 1),)),
        (date(2026, 7, 1), (7, 7), (date(2026, 6, 24),)),
        (date(2026, 7, 1), (), ()),
    ],
)
def test_reminder_dates(expires_on, days_before, dates):
    assert reminder_dates(expires_on, days_before) == dates


def test_reminder_dates_default_to_thirty_and_seven_days():
    assert reminder_dates(date(2026, 7, 1)) == (date(2026, 6, 1), date(2026, 6, 24))


@pytest.mark.parametrize(
    ("signed_on", "today", "status"),
    [
        (None, date(2025, 7, 1), MouStatus.MISSING),
        (date(2025, 7, 1), date(2025, 7, 1), MouStatus.VALID),
        (date(2025, 7, 1), date(2026, 5, 31), MouStatus.VALID),
        (date(2025, 7, 1), date(2026, 6, 1), MouStatus.DUE_SOON),  # 30 days before
        (date(2025, 7, 1), date(2026, 6, 30), MouStatus.DUE_SOON),
        (date(2025, 7, 1), date(2026, 7, 1), MouStatus.LAPSED),  # lapses on its expiry day
        (date(2025, 7, 1), date(2027, 1, 1), MouStatus.LAPSED),
        (date(2024, 2, 29), date(2025, 2, 27), MouStatus.DUE_SOON),
        (date(2024, 2, 29), date(2025, 2, 28), MouStatus.LAPSED),
    ],
)
def test_mou_status(signed_on, today, status):
    assert mou_status(signed_on, today) is status


@pytest.mark.parametrize("value", ["missing", "valid", "due_soon", "lapsed"])
def test_statuses_compare_equal_to_their_strings(value):
    assert MouStatus(value) == value


@pytest.mark.parametrize(
    ("expires_on", "today", "status", "valid"),
    [
        (None, date(2026, 7, 1), MouStatus.MISSING, False),
        (date(2026, 7, 1), date(2026, 5, 31), MouStatus.VALID, True),
        (date(2026, 7, 1), date(2026, 6, 1), MouStatus.DUE_SOON, True),
        (date(2026, 7, 1), date(2026, 6, 30), MouStatus.DUE_SOON, True),  # last valid day
        (date(2026, 7, 1), date(2026, 7, 1), MouStatus.LAPSED, False),  # lapses on the day
        (date(2026, 7, 1), date(2030, 1, 1), MouStatus.LAPSED, False),
    ],
)
def test_status_and_validity_from_the_expiry_day(expires_on, today, status, valid):
    assert mou_status_on(expires_on, today) is status
    assert is_mou_valid(expires_on, today) is valid


@pytest.mark.parametrize(("typed", "name"), [("  Nico   Newuser ", "Nico Newuser"), ("Bo", "Bo")])
def test_signed_name_is_tidied(typed, name):
    assert check_signed_name(typed) == name


@pytest.mark.parametrize("typed", ["", "  ", "x", "12345", "N" * 201])
def test_signed_name_refusals(typed):
    with pytest.raises(ValidationFailed) as err:
        check_signed_name(typed)
    assert err.value.field == "signed_name"


@pytest.mark.parametrize(
    ("status", "signed_version", "allowed"),
    [(MouStatus.MISSING, None, True), (MouStatus.LAPSED, "2026.1", True), (MouStatus.DUE_SOON, "2026.1", True),
     (MouStatus.VALID, "2026.1", False), (MouStatus.VALID, "2025.1", True)],
)
def test_may_sign(status, signed_version, allowed):
    assert may_sign(status, signed_version, "2026.1") is allowed
