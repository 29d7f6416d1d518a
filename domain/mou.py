"""Memorandum of understanding (MOU) validity, for both the user MOU and the agency MOU."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.calendar import add_years
from domain.errors import ValidationFailed
from domain.signatures import signs_as

DUE_SOON_DAYS = 30
MAX_SIGNED_NAME = 200


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


@dataclass(frozen=True)
class RenewalNotice:
    """One renewal notice of an MOU: a reminder before it comes due, or the notice that it lapsed."""

    step: int  # the days-before-lapse of the reminder it stands for; 0 for the lapse notice
    days_left: int  # the true number of days left when it is sent (0 once lapsed)

    @property
    def lapsed(self) -> bool:
        return self.step == 0


def days_left(expires_on: date, today: date) -> int:
    """Whole days from ``today`` until the MOU lapses on ``expires_on`` (0 once it has lapsed)."""
    return max((expires_on - today).days, 0)


def renewal_notice_due(reached: Collection[int], sent: Collection[int], left: int) -> RenewalNotice | None:
    """The one renewal notice to send now, if any.

    ``reached`` holds the steps whose moment has come (the days before the lapse of each reminder,
    0 for the lapse itself), ``sent`` the steps already sent, ``left`` the days truly left.
    Only the latest step reached counts: a program first seen with 10 days left is told it is due
    in 10 days (not 30), one seen after its lapse, or after a pause that slept through several
    steps, hears only the notice due now, and a step is never sent twice.
    """
    if not reached:
        return None
    latest = min(reached)
    if latest in sent:
        return None
    return RenewalNotice(step=latest, days_left=0 if latest == 0 else max(left, 1))


def mou_status(signed_on: date | None, today: date) -> MouStatus:
    """The MOU's status on ``today``, given the date of its latest signature (None: never signed).

    It lapses on its expiry day, and is due soon from DUE_SOON_DAYS days before that.
    """
    return mou_status_on(None if signed_on is None else mou_expires_on(signed_on), today)


def mou_status_on(expires_on: date | None, today: date) -> MouStatus:
    """The MOU's status on ``today``, given the day it lapses (None: never signed).

    This is the form the database keeps (``mou_expires_on`` of users and programs).
    """
    if expires_on is None:
        return MouStatus.MISSING
    if today >= expires_on:
        return MouStatus.LAPSED
    if today >= expires_on - timedelta(days=DUE_SOON_DAYS):
        return MouStatus.DUE_SOON
    return MouStatus.VALID


def is_mou_valid(expires_on: date | None, today: date) -> bool:
    """Whether an MOU lapsing on ``expires_on`` still holds on ``today`` (due soon counts as valid).

    A user without a valid user MOU reaches no client and no referral; a program without a valid
    agency MOU is hidden from the directory and receives no referrals.
    """
    return expires_on is not None and today < expires_on


def may_sign(status: MouStatus, signed_version: str | None, current_version: str) -> bool:
    """Whether the MOU can be signed now: when it is missing, lapsed or due soon, or when its text
    has a new version since the last signature. A valid MOU is not re-signed early, so the year
    and its reminders stay where they are."""
    return status is not MouStatus.VALID or signed_version != current_version


def check_signed_name(typed: str, signer_name: str) -> str:
    """The name a person typed to sign an MOU, tidied; ValidationFailed if it cannot be a name or
    is not ``signer_name``, the name of the signed-in person (the rule of the ROI's e-signature)."""
    name = " ".join((typed or "").split())
    if len(name) < 2 or not any(ch.isalpha() for ch in name):
        raise ValidationFailed("Type your full name to sign the MOU.", field="signed_name",
                               code="signature_missing")
    if len(name) > MAX_SIGNED_NAME:
        raise ValidationFailed(f"Keep the typed name under {MAX_SIGNED_NAME} characters.",
                               field="signed_name")
    if not signs_as(signer_name, name):
        raise ValidationFailed(f"Type your own full name as CONNECT knows it: {signer_name}. "
                               "Only you can sign for yourself.", field="signed_name",
                               code="signature_mismatch")
    return name
