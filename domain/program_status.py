"""What a program tells the directory about itself beyond its details: whether it takes new
clients now (capacity) and when its details were last confirmed as right (freshness)."""

from __future__ import annotations

from datetime import date

from domain.calendar import add_years
from domain.taxonomy import LabelledStrEnum


class Capacity(LabelledStrEnum):
    """A program's capacity, as HSDS 3.1's service capacity and Gravity's capacity status put it."""

    ACCEPTING = ("accepting", "Accepting new clients")
    WAITLIST = ("waitlist", "Waitlist")
    NOT_ACCEPTING = ("not_accepting", "Not accepting new clients")
    ASSESSMENT_REQUIRED = ("assessment_required", "Additional assessment required")


def capacity_label(code: str) -> str:
    """The label of a stored capacity ("" when the program has not said)."""
    return Capacity(code).label if code else ""


def needs_verification(assured_on: date | None, today: date) -> bool:
    """Whether a program's details were never confirmed, or last confirmed a year ago or more."""
    return assured_on is None or add_years(assured_on) <= today
