"""US phone numbers: one stored form (E.164, "+14065551234") and one displayed form.

We accept what staff type from what a client says: "(406) 555-1234", "406.555.1234",
"406-555-1234", "+1 406 555 1234", "1-406-555-1234", "4065551234". Anything else is refused
with a reason: wrong number of digits, letters, extensions, a country other than +1, or an area
code or exchange that starts with 0 or 1 (no such North American number exists).

The guide's convention for a client with no phone (or none they are comfortable being contacted
on) is all nines, "(999)-999-9999". It is accepted and stored as ``NO_PHONE``; code that contacts
a client or matches identities must test ``is_no_phone`` rather than treat it as a number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from domain.errors import ValidationFailed

NO_PHONE = "+19999999999"
"""The guide's "no phone" value, (999)-999-9999, in stored form."""

FIELD = "phone"

_SEPARATORS = re.compile(r"[\s().\-/]+")
_E164_US = re.compile(r"\+1(\d{10})")
# "406-555-1234 x12", "... ext. 12", "... extension 12", "... #12": digits, then a marker.
_EXTENSION = re.compile(r"\d[^A-Za-z#]*(?:ext(?:ension)?\.?|x|#)\s*\d+\s*$", re.IGNORECASE)


def normalize_phone(text: str) -> str:
    """Return ``text`` as a US number in E.164 form ("+14065551234").

    Accepts the all-nines "no phone" value and returns ``NO_PHONE`` for it. Raises
    ``ValidationFailed`` (field ``phone``) with a reason a person can act on for anything that is
    not a ten-digit North American number.
    """
    if text is None or not str(text).strip():
        raise ValidationFailed(
            "Enter a phone number, or (999) 999-9999 if the client has none.", field=FIELD
        )
    raw = unicodedata.normalize("NFKC", str(text)).strip()

    if _EXTENSION.search(raw):
        raise ValidationFailed(
            "Leave out the extension; enter the ten-digit number only and note the extension "
            "in the contact notes.",
            field=FIELD,
        )
    if re.search(r"[A-Za-z]", raw):
        raise ValidationFailed(
            "Enter the phone number in digits only (for example (406) 555-1234).", field=FIELD
        )

    compact = _SEPARATORS.sub("", raw)
    plus = compact.startswith("+")
    digits = compact[1:] if plus else compact
    if not digits.isdigit():
        raise ValidationFailed(
            "A phone number may contain only digits, spaces, dashes, dots and brackets.",
            field=FIELD,
        )

    if plus:
        if not digits.startswith("1"):
            raise ValidationFailed(
                "Only US phone numbers (+1) can be entered.", field=FIELD
            )
        digits = digits[1:]
    elif len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]

    if len(digits) != 10:
        raise ValidationFailed(
            f"A US phone number has 10 digits (area code and number); this one has {len(digits)}.",
            field=FIELD,
        )

    if digits == "9" * 10:
        return NO_PHONE
    if digits[0] in "01":
        raise ValidationFailed(
            "The area code cannot start with 0 or 1; check the number with the client.",
            field=FIELD,
        )
    if digits[3] in "01":
        raise ValidationFailed(
            "The three digits after the area code cannot start with 0 or 1; "
            "check the number with the client.",
            field=FIELD,
        )
    return "+1" + digits


def is_no_phone(text: str | None) -> bool:
    """Tell whether ``text`` is the guide's "no phone" value, all nines, in any accepted form.

    ``None``, an empty string and text that is not a valid phone number are not the "no phone"
    value (they are no value at all, or a mistake) and return ``False``.
    """
    if text is None or not str(text).strip():
        return False
    try:
        return normalize_phone(text) == NO_PHONE
    except ValidationFailed:
        return False


def reachable_numbers(numbers: Iterable[str]) -> list[str]:
    """The client's numbers that can reach them, in order: all but the "no phone" value."""
    return [n for n in numbers if not is_no_phone(n)]


def has_no_phone(numbers: Iterable[str]) -> bool:
    """The one rule for "this client has no phone": no stored number can reach them (none was
    given, or only the all-nines value). Pages then say "No phone" in words, never the number."""
    return not reachable_numbers(numbers)


def numbers_in_words(numbers: Iterable[str]) -> list[str]:
    """How a client's phones read on a page: the numbers that reach them, formatted, or the single
    phrase "No phone" when ``has_no_phone``."""
    reachable = reachable_numbers(numbers)
    return [phone_in_words(n) for n in reachable] if reachable else ["No phone"]


def phone_in_words(value: str | None) -> str:
    """One stored number as a page shows it: "No phone" for the all-nines value, "(406) 555-1234"
    for a number, and anything else (an empty or old value) as it is."""
    if not value:
        return ""
    if is_no_phone(value):
        return "No phone"
    try:
        return format_phone(value)
    except ValidationFailed:
        return value


def format_phone(e164: str) -> str:
    """Return a stored number for display: "+14065551234" becomes "(406) 555-1234".

    Any form ``normalize_phone`` accepts is accepted; ``NO_PHONE`` is shown as "(999) 999-9999".
    """
    match = _E164_US.fullmatch(e164) if isinstance(e164, str) else None
    digits = match.group(1) if match else normalize_phone(e164)[2:]
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def mask_phone(e164: str) -> str:
    """Return a stored number with all but its last four digits hidden: "(•••) •••-1234".

    For a program that may not see the client: it can choose a number on file without learning it.
    """
    return "(•••) •••-" + format_phone(e164)[-4:]
