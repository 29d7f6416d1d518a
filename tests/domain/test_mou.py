from datetime import date

import pytest

from domain.errors import ValidationFailed
from domain.mou import (
    MouStatus,
    RenewalNotice,
    check_signed_name,
    days_left,
    is_mou_valid,
    may_sign,
    mou_expires_on,
    mou_status,
    mou_status_on,
    reminder_dates,
    renewal_notice_due,
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


@pytest.mark.parametrize(("typed", "signer", "name"), [
    ("  Nico   Newuser ", "Nico Newuser", "Nico Newuser"),
    ("Bo", "Bo", "Bo"),
    ("jose de la  cruz", "José de la Cruz", "jose de la cruz"),
])
def test_signed_name_is_tidied(typed, signer, name):
    assert check_signed_name(typed, signer) == name


@pytest.mark.parametrize(("typed", "code"), [
    ("", "signature_missing"), ("  ", "signature_missing"), ("x", "signature_missing"),
    ("12345", "signature_missing"), ("N" * 201, None),
    ("Someone Else", "signature_mismatch"), ("Nico", "signature_mismatch"),
    ("Nico Newuser Jr", "signature_mismatch"),
])
def test_signed_name_refusals(typed, code):
    with pytest.raises(ValidationFailed) as err:
        check_signed_name(typed, "Nico Newuser")
    assert err.value.field == "signed_name"
    assert err.value.code == code or code is None


@pytest.mark.parametrize(
    ("status", "signed_version", "allowed"),
    [(MouStatus.MISSING, None, True), (MouStatus.LAPSED, "2026.1", True), (MouStatus.DUE_SOON, "2026.1", True),
     (MouStatus.VALID, "2026.1", False), (MouStatus.VALID, "2025.1", True)],
)
def test_may_sign(status, signed_version, allowed):
    assert may_sign(status, signed_version, "2026.1") is allowed


@pytest.mark.parametrize(
    ("reached", "sent", "left", "notice"),
    [
        ((), (), 200, None),  # nothing due yet
        ((30,), (), 30, RenewalNotice(step=30, days_left=30)),
        ((30,), (), 10, RenewalNotice(step=30, days_left=10)),  # first seen with 10 days left
        ((30,), (30,), 12, None),  # sent once only
        ((30, 7), (30,), 7, RenewalNotice(step=7, days_left=7)),
        ((30, 7), (), 3, RenewalNotice(step=7, days_left=3)),  # after a pause: only the latest
        ((30, 7), (7,), 2, None),
        ((30, 7, 0), (), 0, RenewalNotice(step=0, days_left=0)),  # lapsed: only that it lapsed
        ((30, 7, 0), (30, 7), 0, RenewalNotice(step=0, days_left=0)),
        ((30, 7, 0), (0,), 0, None),
        ((30,), (), 0, RenewalNotice(step=30, days_left=1)),  # the last hours of the last day
    ],
)
def test_renewal_notice_due(reached, sent, left, notice):
    assert renewal_notice_due(reached, sent, left) == notice
    assert notice is None or notice.lapsed is (notice.step == 0)


@pytest.mark.parametrize(("expires_on", "today", "left"), [
    (date(2026, 7, 1), date(2026, 6, 21), 10),
    (date(2026, 7, 1), date(2026, 6, 30), 1),
    (date(2026, 7, 1), date(2026, 7, 1), 0),
    (date(2026, 7, 1), date(2026, 7, 9), 0),
])
def test_days_left(expires_on, today, left):
    assert days_left(expires_on, today) == left
