"""The referral form (user guide, Part 4 D-F): the "Personal Info" tab, then each receiving
program's own tabs and fields, each tab complete when its required fields are filled.

The rules here are pure: the caller passes the program's field definitions, the values typed,
and whether the client's profile holds what "Personal Info" needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.errors import ValidationFailed

__all__ = [
    "MEDICAL_RECORDS_REMINDER",
    "PERSONAL_INFO",
    "REASON_FIELD",
    "FieldKind",
    "FormField",
    "Tab",
    "check_known_fields",
    "check_ready_to_send",
    "clean_reason",
    "clean_text",
    "clean_values",
    "personal_info_gaps",
    "tabs",
]

PERSONAL_INFO = "Personal Info"
REASON_FIELD = "reason"
REASON_MAX = 4000
VALUE_MAX = 1000

MEDICAL_RECORDS_REMINDER = (
    "Never send HIPAA-sensitive medical information or records through CONNECT. CONNECT is "
    "secure, but it is not meant for medical records: send them by other means, such as a "
    "secure fax line."
)

YES, NO = "yes", "no"


class FieldKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    DATE = "date"
    YESNO = "yesno"


@dataclass(frozen=True)
class FormField:
    """One field of a program's own tabs (models.agencies.tables.ProgramFormField)."""

    key: str
    label: str
    tab: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tab:
    """A tab of the form, with the required fields still empty (complete when there are none)."""

    name: str
    fields: tuple[FormField, ...]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "tab"


def _clean_one(f: FormField, raw: str) -> str:
    value = (raw or "").strip()
    if not value:
        return ""
    if len(value) > VALUE_MAX:
        raise ValidationFailed(f"{f.label}: keep this under {VALUE_MAX} characters.",
                               field=f.key, code="too_long")
    if f.kind is FieldKind.CHOICE and value not in f.choices:
        raise ValidationFailed(f"{f.label}: choose one of the options listed.", field=f.key,
                               code="not_a_choice")
    if f.kind is FieldKind.YESNO:
        value = value.lower()
        if value not in (YES, NO):
            raise ValidationFailed(f"{f.label}: answer yes or no.", field=f.key, code="not_yes_no")
    if f.kind is FieldKind.DATE:
        try:
            value = date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValidationFailed(f"{f.label}: enter a date as YYYY-MM-DD.", field=f.key,
                                   code="not_a_date") from None
    return value


def clean_values(fields: Sequence[FormField], values: Mapping[str, str]) -> dict[str, str]:
    """The values of the program's fields, trimmed and checked against each field's kind.

    Keys the program does not define are dropped; empty values are kept out. Raises
    ValidationFailed naming the first wrong field.
    """
    cleaned: dict[str, str] = {}
    for f in fields:
        value = _clean_one(f, str(values.get(f.key, "") or ""))
        if value:
            cleaned[f.key] = value
    return cleaned


def check_known_fields(fields: Sequence[FormField], keys: Iterable[str]) -> None:
    """Refuse a value for a field the program does not define: a misspelt key would otherwise be
    dropped without a word, and the receiving program would never see what was typed."""
    known = {f.key for f in fields}
    unknown = sorted(k for k in keys if k not in known)
    if unknown:
        raise ValidationFailed(
            f"The referral form of this program has no field {', '.join(map(repr, unknown))}; its "
            f"fields are: {', '.join(sorted(known)) or 'none'}.",
            field=f"fields.{unknown[0]}", code="unknown_field")


def clean_reason(reason: str | None) -> str:
    """The reason for referral, trimmed; refused when too long."""
    value = (reason or "").strip()
    if len(value) > REASON_MAX:
        raise ValidationFailed(f"Reason for referral: keep this under {REASON_MAX} characters.",
                               field=REASON_FIELD, code="too_long")
    return value


def personal_info_gaps(*, has_name: bool, has_dob: bool, has_contact: bool) -> tuple[str, ...]:
    """What the client's profile lacks for the "Personal Info" tab (it is prefilled from there)."""
    gaps = []
    if not has_name:
        gaps.append("Name")
    if not has_dob:
        gaps.append("Date of birth")
    if not has_contact:
        gaps.append("A phone number, email or address")
    return tuple(gaps)


def tabs(
    fields: Sequence[FormField],
    values: Mapping[str, str],
    reason: str,
    profile_gaps: Sequence[str] = (),
) -> list[Tab]:
    """The form's tabs in order: "Personal Info" (the client's details and the reason for
    referral), then the program's own tabs in the order of their first field."""
    personal_missing = tuple(profile_gaps) + (() if reason.strip() else ("Reason for referral",))
    result = [Tab(PERSONAL_INFO, tuple(f for f in fields if f.tab == PERSONAL_INFO), ())]
    order: list[str] = []
    for f in fields:
        if f.tab != PERSONAL_INFO and f.tab not in order:
            order.append(f.tab)
    for name in order:
        own = tuple(f for f in fields if f.tab == name)
        missing = tuple(f.label for f in own if f.required and not str(values.get(f.key, "")).strip())
        result.append(Tab(name, own, missing))
    extra = tuple(f.label for f in result[0].fields if f.required and not str(values.get(f.key, "")).strip())
    result[0] = Tab(PERSONAL_INFO, result[0].fields, personal_missing + extra)
    return result


def check_ready_to_send(
    fields: Sequence[FormField],
    values: Mapping[str, str],
    reason: str,
    *,
    insurance_confirmed: bool,
    profile_gaps: Sequence[str] = (),
) -> None:
    """Raise ValidationFailed unless every tab is complete and the sender confirmed that
    insurance will not be a barrier (Part 4 F.II)."""
    for tab in tabs(fields, values, reason, profile_gaps):
        if not tab.complete:
            first = tab.missing[0]
            key = next((f.key for f in tab.fields if f.label == first), None)
            if first == "Reason for referral":
                key = REASON_FIELD
            raise ValidationFailed(
                f"The {tab.name} tab is not complete: fill in {', '.join(tab.missing)} before you send.",
                field=key, code="form_incomplete",
            )
    if not insurance_confirmed:
        raise ValidationFailed(
            "Confirm that insurance will not be a barrier for the client to receive services at "
            "this program before you send.",
            field="insurance_confirmed", code="insurance_not_confirmed",
        )


TEXT_MAX = 4000


def clean_text(value: str | None, *, label: str, field: str, required: bool = True,
               max_len: int = TEXT_MAX) -> str:
    """A free-text entry (a reason, a progress entry, a note), trimmed; refused when missing
    (if ``required``) or too long."""
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(f"{label}: this cannot be empty.", field=field, code="text_missing")
    if len(text) > max_len:
        raise ValidationFailed(f"{label}: keep this under {max_len} characters.", field=field,
                               code="too_long")
    return text
