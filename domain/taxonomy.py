"""Controlled vocabularies: the fixed choices behind directory filters and client fields.

A vocabulary is a tuple of ``(code, label)`` pairs: codes are stored, labels are shown. Codes never
change once data uses them; labels may. ``LabelledStrEnum`` is the same idea for the vocabularies
that rules branch on (states, methods, kinds), so each enum member carries its own label.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from domain.errors import ValidationFailed

Vocabulary = tuple[tuple[str, str], ...]


class LabelledStrEnum(StrEnum):
    """A StrEnum whose members are declared as ``(value, label)`` and expose ``.label``."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


SERVICES: Vocabulary = (
    ("food_nutrition", "Food and nutrition"),
    ("housing", "Housing"),
    ("mental_health", "Mental health"),
    ("substance_use", "Substance use"),
    ("medical_specialists", "Medical specialists"),
    ("primary_care", "Primary care"),
    ("prenatal_care", "Prenatal care"),
    ("family_planning", "Family planning"),
    ("home_visiting", "Home visiting"),
    ("parenting", "Parenting"),
    ("child_care", "Child care"),
    ("employment", "Employment"),
    ("education", "Education"),
    ("transportation", "Transportation"),
    ("dental", "Dental"),
    ("vision", "Vision"),
    ("legal_aid", "Legal aid"),
    ("utilities_assistance", "Utilities assistance"),
    ("financial_assistance", "Financial assistance"),
    ("health_insurance_enrollment", "Health insurance enrollment"),
    ("domestic_violence", "Domestic violence"),
    ("disability_services", "Disability services"),
    ("senior_services", "Senior services"),
    ("veteran_services", "Veteran services"),
    ("tobacco_cessation", "Tobacco cessation"),
    ("cancer_screening", "Cancer screening"),
    ("chronic_disease_management", "Chronic disease management"),
    ("immunizations", "Immunizations"),
    ("peer_support", "Peer support"),
    ("other", "Other"),
)

INSURANCE_TYPES: Vocabulary = (
    ("medicaid", "Medicaid"),
    ("healthy_montana_kids", "Healthy Montana Kids (CHIP)"),
    ("medicare", "Medicare"),
    ("bcbs_montana", "BlueCross BlueShield of Montana"),
    ("aetna", "Aetna"),
    ("pacificsource", "PacificSource"),
    ("cigna", "Cigna"),
    ("unitedhealthcare", "UnitedHealthcare"),
    ("allegiance", "Allegiance"),
    ("other_private", "Other private insurance"),
    ("tricare", "TRICARE"),
    ("ihs", "Indian Health Service"),
    ("uninsured_sliding_scale", "Uninsured / sliding scale"),
    ("not_applicable", "N/A (no insurance needed)"),
)

# The guide: "to look for programs and services that do not require insurance such as a food
# bank, select N/A, Sliding Scale, or similar terminology."
NO_INSURANCE_NEEDED = frozenset({"uninsured_sliding_scale", "not_applicable"})

GENDER_IDENTITIES: Vocabulary = (
    ("female", "Female"),
    ("male", "Male"),
    ("transgender_female", "Transgender female"),
    ("transgender_male", "Transgender male"),
    ("non_binary", "Non-binary"),
    ("two_spirit", "Two-Spirit"),
    ("another", "Another gender identity"),
    ("prefer_not_to_say", "Prefer not to say"),
)

# US census race categories; a client may have several.
RACES: Vocabulary = (
    ("american_indian_alaska_native", "American Indian or Alaska Native"),
    ("asian", "Asian"),
    ("black_african_american", "Black or African American"),
    ("native_hawaiian_pacific_islander", "Native Hawaiian or Other Pacific Islander"),
    ("white", "White"),
    ("some_other_race", "Some other race"),
    ("prefer_not_to_say", "Prefer not to say"),
)

MILITARY_SERVICE: Vocabulary = (
    ("never_served", "Never served"),
    ("active_duty", "Active duty"),
    ("veteran", "Veteran"),
    ("reserve_national_guard", "Reserve or National Guard"),
    ("prefer_not_to_say", "Prefer not to say"),
)


def codes(vocab: Vocabulary) -> tuple[str, ...]:
    """The codes of a vocabulary, in display order."""
    return tuple(code for code, _ in vocab)


def is_code(vocab: Vocabulary, code: str) -> bool:
    """Whether ``code`` is one of the vocabulary's codes (exact match)."""
    return any(code == known for known, _ in vocab)


def label_of(vocab: Vocabulary, code: str) -> str:
    """The label of ``code``; ValidationFailed if the vocabulary has no such code."""
    for known, label in vocab:
        if code == known:
            return label
    raise ValidationFailed(
        f"'{code}' is not one of the allowed choices; pick one from the list.", code="unknown_code"
    )


def insurance_filter_codes(selected: tuple[str, ...] | list[str] | set[str]) -> frozenset[str]:
    """The insurance codes a directory search should match for the types a user chose.

    Choosing N/A or sliding scale means "a program that needs no insurance", so either one finds
    programs listing any NO_INSURANCE_NEEDED code.
    """
    chosen = frozenset(selected)
    if chosen & NO_INSURANCE_NEEDED:
        chosen |= NO_INSURANCE_NEEDED
    return chosen
