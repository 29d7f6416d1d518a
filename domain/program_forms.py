"""A program's own referral-form tabs and fields (guide Part 4, D: "Other agencies will ask for
additional information, and those tabs will appear under the 'Personal Info' tab").

A field is text, a choice from a list, a date or yes/no, and is required or not. Its ``key`` is
derived from its label once and never changes, so the answers of referrals already sent stay
readable when the label is reworded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from domain.errors import ValidationFailed
from domain.taxonomy import LabelledStrEnum

RESERVED_TABS = ("Personal Info", "Referral Status")
"""Tabs every referral form has already; a program's own tabs come after "Personal Info"."""

MAX_CHOICES = 40
MAX_LABEL = 200
MAX_TAB = 80
MAX_CHOICE = 100


class FieldKind(LabelledStrEnum):
    TEXT = ("text", "Text")
    CHOICE = ("choice", "Choice from a list")
    DATE = ("date", "Date")
    YESNO = ("yesno", "Yes / No")


@dataclass(frozen=True)
class FieldDefinition:
    """A checked, tidied field definition."""

    tab: str
    label: str
    kind: FieldKind
    choices: tuple[str, ...]
    required: bool


def field_key(label: str) -> str:
    """A stable machine key for a label: "Household size (people)" -> "household_size_people"."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    key = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")[:50]
    return key or "field"


def _tidy(text: str) -> str:
    return " ".join((text or "").split())


def check_field(
    tab: str, label: str, kind: str, choices: Iterable[str] = (), required: bool = False
) -> FieldDefinition:
    """Checks one field definition; ValidationFailed names the form field to correct."""
    tab, label = _tidy(tab), _tidy(label)
    if not tab:
        raise ValidationFailed("Name the tab the field appears on.", field="tab")
    if len(tab) > MAX_TAB:
        raise ValidationFailed(f"Keep the tab name under {MAX_TAB} characters.", field="tab")
    if tab.casefold() in {t.casefold() for t in RESERVED_TABS}:
        raise ValidationFailed(
            f'"{tab}" is a tab every referral has already; give the program\'s tab its own name.',
            field="tab",
        )
    if not label:
        raise ValidationFailed("Write the question or label of the field.", field="label")
    if len(label) > MAX_LABEL:
        raise ValidationFailed(f"Keep the label under {MAX_LABEL} characters.", field="label")
    try:
        field_kind = FieldKind(kind)
    except ValueError:
        raise ValidationFailed(
            "Choose what kind of answer the field takes: text, a choice, a date or yes/no.",
            field="kind",
        ) from None
    cleaned: list[str] = []
    for choice in choices:
        choice = _tidy(choice)
        if choice and choice.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(choice)
    if field_kind is FieldKind.CHOICE:
        if len(cleaned) < 2:
            raise ValidationFailed("A choice field needs at least two choices, one per line.",
                                   field="choices")
        if len(cleaned) > MAX_CHOICES:
            raise ValidationFailed(f"Offer at most {MAX_CHOICES} choices.", field="choices")
        if any(len(c) > MAX_CHOICE for c in cleaned):
            raise ValidationFailed(f"Keep each choice under {MAX_CHOICE} characters.",
                                   field="choices")
    elif cleaned:
        raise ValidationFailed("Only a choice field has a list of choices; clear the list.",
                               field="choices")
    return FieldDefinition(tab, label, field_kind, tuple(cleaned), bool(required))
