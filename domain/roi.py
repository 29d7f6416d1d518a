"""Release of information (ROI) rules: states, signers, information types and validity."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

from domain.calendar import add_years
from domain.errors import InvalidTransition, ValidationFailed
from domain.taxonomy import LabelledStrEnum

SMS_CODE_LENGTH = 6
SMS_CODE_MAX_ATTEMPTS = 5


class RoiState(LabelledStrEnum):
    """Where an ROI is in its life."""

    DRAFT = ("draft", "Draft")
    AWAITING_SIGNATURE = ("awaiting_signature", "Awaiting signature")
    SIGNED = ("signed", "Signed")
    EXPIRED = ("expired", "Expired")
    REVOKED = ("revoked", "Revoked")
    ABANDONED = ("abandoned", "Abandoned")


# current state -> states it may move to. Expired, revoked and abandoned are final: a client who
# consents again signs a new ROI.
ROI_TRANSITIONS: dict[RoiState, frozenset[RoiState]] = {
    RoiState.DRAFT: frozenset({RoiState.AWAITING_SIGNATURE, RoiState.ABANDONED}),
    # Abandoned from here too: a text-message signature the client never completes.
    RoiState.AWAITING_SIGNATURE: frozenset({RoiState.SIGNED, RoiState.ABANDONED}),
    RoiState.SIGNED: frozenset({RoiState.EXPIRED, RoiState.REVOKED}),
    RoiState.EXPIRED: frozenset(),
    RoiState.REVOKED: frozenset(),
    RoiState.ABANDONED: frozenset(),
}

_DESCRIPTION = {
    RoiState.DRAFT: "is still a draft",
    RoiState.AWAITING_SIGNATURE: "is waiting for a signature",
    RoiState.SIGNED: "is signed",
    RoiState.EXPIRED: "has expired",
    RoiState.REVOKED: "was revoked",
    RoiState.ABANDONED: "was abandoned",
}


def check_roi_transition(current: RoiState, target: RoiState) -> RoiState:
    """Return ``target`` if an ROI in ``current`` may move to it; else raise InvalidTransition."""
    current, target = RoiState(current), RoiState(target)
    allowed = ROI_TRANSITIONS[current]
    if target in allowed:
        return target
    if target is RoiState.REVOKED:
        reason = (
            "Only a signed release of information can be revoked; "
            f"this one {_DESCRIPTION[current]}."
        )
    else:
        reason = (
            f"This release of information {_DESCRIPTION[current]}; "
            f"it cannot become {target.label.lower()}."
        )
    if allowed:
        nexts = [state.label.lower() for state in RoiState if state in allowed]
        reason += f" It can only become {' or '.join(nexts)}."
    else:
        reason += " It is final: start a new release of information if the client consents again."
    raise InvalidTransition(reason, code=f"roi_cannot_become_{target}")


class SignatureMethod(LabelledStrEnum):
    """The three ways the guide lets a client sign (Part 3, C)."""

    ESIGN = ("esign", "E-sign")
    SMS = ("sms", "Text message")
    UPLOAD = ("upload", "Upload (physical signature)")


class AuthorizerKind(LabelledStrEnum):
    """Who authorises the release: the client, or someone entitled to act for them."""

    SELF = ("self", "The client")
    PARENT_GUARDIAN = ("parent_guardian", "Parent or guardian")
    POWER_OF_ATTORNEY = ("power_of_attorney", "Power of attorney")


def check_authorizer(kind: AuthorizerKind, name: str | None, relationship: str | None) -> None:
    """Require the authoriser's name and relationship to the client unless the client signs.

    Raises ValidationFailed on field ``authorizer_name`` or ``authorizer_relationship``.
    """
    kind = AuthorizerKind(kind)
    if kind is AuthorizerKind.SELF:
        return
    if not (name or "").strip():
        raise ValidationFailed(
            f"Enter the full name of the {kind.label.lower()} who is authorising this release.",
            field="authorizer_name",
            code="authorizer_name_missing",
        )
    if not (relationship or "").strip():
        raise ValidationFailed(
            "Enter how the person authorising this release is related to the client "
            "(for example mother, legal guardian, attorney-in-fact).",
            field="authorizer_relationship",
            code="authorizer_relationship_missing",
        )


class InformationType(LabelledStrEnum):
    """What an ROI lets programs share; see ``sensitive`` for the types needing explicit consent."""

    CONTACT_INFORMATION = ("contact_information", "Contact information")
    DEMOGRAPHICS = ("demographics", "Demographics")
    REASON_FOR_REFERRAL = ("reason_for_referral", "Reason for referral")
    INSURANCE_INFORMATION = ("insurance_information", "Insurance information")
    HOUSING_STATUS = ("housing_status", "Housing status")
    HOUSEHOLD_INFORMATION = ("household_information", "Household information")
    HIV_STI = ("hiv_sti", "HIV/STI")
    SUBSTANCE_USE = ("substance_use", "Substance use")
    MENTAL_HEALTH = ("mental_health", "Mental health")
    REPRODUCTIVE_HEALTH = ("reproductive_health", "Reproductive health")

    @property
    def sensitive(self) -> bool:
        """Whether this type may be shared only if the client explicitly consents to it."""
        return self in SENSITIVE_INFORMATION_TYPES


SENSITIVE_INFORMATION_TYPES = frozenset(
    {
        InformationType.HIV_STI,
        InformationType.SUBSTANCE_USE,
        InformationType.MENTAL_HEALTH,
        InformationType.REPRODUCTIVE_HEALTH,
    }
)


def roi_expires_on(signed_on: date) -> date:
    """The day a signed ROI stops being valid: one calendar year after signing (29 Feb -> 28 Feb).

    The ROI is valid up to, not including, this day.
    """
    return add_years(signed_on, 1)


def is_roi_valid(state: RoiState, expires_on: date | None, today: date) -> bool:
    """Whether an ROI lets programs share today: signed, and ``today`` is before ``expires_on``.

    Checks the date as well as the state, so an ROI whose expiry has not been recorded yet is
    already refused on its expiry day.
    """
    return RoiState(state) is RoiState.SIGNED and expires_on is not None and today < expires_on


def expiry_reminder_on(expires_on: date, days_before: int = 30) -> date:
    """The day to remind the ROI's creator that it is about to expire."""
    return expires_on - timedelta(days=days_before)


def _comparable_name(name: str) -> str:
    # Drop accents (NFKD splits "é" into "e" + a combining mark), case and all whitespace.
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(bare.casefold().split())


def check_signer(authorizer_name: str, typed_name: str) -> None:
    """Require the typed signature to be the authoriser's name.

    Case, accents and spacing are ignored ("José  de la Cruz" matches "jose dela cruz").
    Raises ValidationFailed on field ``signature_name`` otherwise.
    """
    typed = _comparable_name(typed_name or "")
    if not typed:
        raise ValidationFailed(
            "Type your full name to sign.", field="signature_name", code="signature_missing"
        )
    if typed != _comparable_name(authorizer_name or ""):
        raise ValidationFailed(
            "The name typed does not match the person authorising this release. That person "
            "must sign with their own full name, as entered under 'Authorization by'.",
            field="signature_name",
            code="signature_mismatch",
        )
