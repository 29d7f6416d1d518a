"""Memorandum of understanding (MOU) validity, for both the user MOU and the agency MOU."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum

from domain.calendar import add_years

DUE_SOON_DAYS = 30


class MouStatus(StrEnum):
    """Where an MOU stands on a given day."""

    MISSING = "missing"  # never signed
    VALID = "valid"
    DUE_SOON = "due_soon"  # valid, but expires within DUE_SOON_DAYS days
    LAPSED = "lapsed"  # expired: the user or program is blocked until someone signs again


def mou_expires_on(signed_on: date) -> date:
    """The day an MOU lapses: one calendar year after signing (29 Feb -> 28 Feb)."""
    return add_years(signed_on, 1)


def reminder_dates(expires_on: date, days_before: Iterable[int] = (30, 7)) -> tuple[date, ...]:
    """The days to send renewal reminders, earliest first."""
    return tuple(sorted({expires_on - timedelta(days=n) for n in days_before}))


def mou_status(signed_on: date | None, today: date) -> MouStatus:
    """The MOU's status on ``today``, given the date of its latest signature (None: never signed).

    It lapses on its expiry day, and is due soon from DUE_SOON_DAYS days before that.
    """
    if signed_on is None:
        return MouStatus.MISSING
    expires_on = mou_expires_on(signed_on)
    if today >= expires_on:
        return MouStatus.LAPSED
    if today >= expires_on - timedelta(days=DUE_SOON_DAYS):
        return MouStatus.DUE_SOON
    return MouStatus.VALID
