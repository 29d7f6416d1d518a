"""Release of information (ROI) rules: states, signers, information types and validity."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from domain.calendar import add_years
from domain.errors import InvalidTransition, NotAllowed, ValidationFailed
from domain.signatures import is_typed_blank, signs_as
from domain.taxonomy import LabelledStrEnum



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
    # Back to awaiting signature only when the scan of a physical signature is deleted (the guide
    # lets staff delete a wrong upload "at any time"): without its evidence the ROI is not signed.
    # `check_signature_withdrawal` holds that condition.
    RoiState.SIGNED: frozenset({RoiState.EXPIRED, RoiState.REVOKED, RoiState.AWAITING_SIGNATURE}),
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


def last_valid_day(expires_on: date) -> date:
    """The last day a signed ROI lets programs share: the day before it expires (what pages show
    as "Valid through")."""
    return expires_on - timedelta(days=1)


def is_roi_valid(state: RoiState, expires_on: date | None, today: date) -> bool:
    """Whether an ROI lets programs share today: signed, and ``today`` is before ``expires_on``.

    Checks the date as well as the state, so an ROI whose expiry has not been recorded yet is
    already refused on its expiry day.
    """
    return RoiState(state) is RoiState.SIGNED and expires_on is not None and today < expires_on


def expiry_reminder_on(expires_on: date, days_before: int = 30) -> date:
    """The day to remind the ROI's creator that it is about to expire."""
    return expires_on - timedelta(days=days_before)


def check_signer(authorizer_name: str, typed_name: str) -> None:
    """Require the typed signature to be the authoriser's name.

    Case, accents and spacing are ignored ("José  de la Cruz" matches "jose dela cruz").
    Raises ValidationFailed on field ``typed_name`` (the name the request types) otherwise.
    """
    if is_typed_blank(typed_name):
        raise ValidationFailed(
            "Type your full name to sign.", field="typed_name", code="signature_missing"
        )
    if not signs_as(authorizer_name, typed_name):
        raise ValidationFailed(
            "The name typed does not match the person authorising this release. That person "
            "must sign with their own full name, as entered under 'Authorization by'.",
            field="typed_name",
            code="signature_mismatch",
        )


def check_signature_withdrawal(state: RoiState, method: SignatureMethod | None) -> RoiState:
    """Deleting the scan of a physically signed ROI withdraws its signature: the ROI goes back to
    awaiting an upload. Only uploaded signatures can be withdrawn this way.
    """
    if method is None or SignatureMethod(method) is not SignatureMethod.UPLOAD:
        raise InvalidTransition(
            "Only the scan of a physically signed release of information can be deleted; "
            "an e-signed or texted signature stays on record. Revoke the ROI instead.",
            code="roi_signature_not_uploaded",
        )
    return check_roi_transition(state, RoiState.AWAITING_SIGNATURE)


def check_information_types(
    chosen: Iterable[str], explicitly_consented: Iterable[str] = ()
) -> tuple[InformationType, ...]:
    """The information types an ROI discloses, in the list's order.

    At least one is needed; a sensitive type (HIV/STI, substance use, mental health, reproductive
    health) is allowed only if it is also in ``explicitly_consented`` (the client's explicit
    consent to that type). Raises ValidationFailed on field ``information_types``.
    """
    chosen_set = set(chosen)
    unknown = sorted(chosen_set - {t.value for t in InformationType})
    if unknown:
        raise ValidationFailed(
            f"'{unknown[0]}' is not an information type; choose from the list.",
            field="information_types",
            code="unknown_information_type",
        )
    if not chosen_set:
        raise ValidationFailed(
            "Choose the information the programs may share, one type at a time.",
            field="information_types",
            code="information_types_missing",
        )
    consented = set(explicitly_consented)
    for kind in InformationType:
        if kind in chosen_set and kind.sensitive and kind not in consented:
            raise ValidationFailed(
                f"{kind.label} information may be shared only if the client explicitly consents "
                "to it: tick the consent box for it, or leave it out.",
                field="information_types",
                code="sensitive_consent_missing",
            )
    return tuple(kind for kind in InformationType if kind in chosen_set)


PURPOSE_MAX_LENGTH = 500


def check_purpose(purpose: str | None) -> str:
    """The purpose of the disclosure, trimmed; required and at most 500 characters."""
    text = " ".join((purpose or "").split())
    if not text:
        raise ValidationFailed(
            "Say what the information will be used for (for example 'referral for food "
            "assistance and follow-up').",
            field="purpose",
            code="purpose_missing",
        )
    if len(text) > PURPOSE_MAX_LENGTH:
        raise ValidationFailed(
            f"Keep the purpose under {PURPOSE_MAX_LENGTH} characters.",
            field="purpose",
            code="purpose_too_long",
        )
    return text


def part2_programs_exposed(sending_program_id: int, part2_by_program: Mapping[int, bool]) -> list[int]:
    """42 CFR Part 2 programs whose involvement other programs on the same ROI would learn of.

    Every program on an ROI sees the others. The sending program knows where it refers anyway, so a
    Part 2 program is exposed only when the ROI also covers some third program.
    """
    others = [p for p in part2_by_program if p != sending_program_id]
    if len(others) < 2:
        return []
    return [p for p in others if part2_by_program[p]]


def check_signable(state: RoiState, completed: bool) -> None:
    """An ROI can be sent for signature (by any method) once it is complete, while it is a draft
    or already awaiting a signature (switching method); afterwards it is signed or final."""
    state = RoiState(state)
    if state not in (RoiState.DRAFT, RoiState.AWAITING_SIGNATURE):
        raise InvalidTransition(
            f"This release of information {_DESCRIPTION[state]}; it can no longer be signed."
            + (" Start a new one if the client consents again." if state is not RoiState.SIGNED else ""),
            code="roi_not_signable",
        )
    if not completed:
        raise InvalidTransition(
            "Complete the ROI first: the information to share, the purpose and who authorises it.",
            code="roi_not_complete",
        )


def signature_methods_for(program_sees_client: bool) -> tuple[SignatureMethod, ...]:
    """The signature methods a program may use on an ROI it prepares.

    Signing gives every program on the ROI the client's full details. E-signing on screen rests
    only on staff saying the client was at their desk, so a program that could not already see
    the client would be granting itself that access on its own word. It must use a method with
    evidence from the client instead: a text message answered from the client's phone, or the
    signed paper form uploaded (kept and reviewable). Programs that already see the client lose
    nothing by e-signing, so they keep all three.
    """
    if program_sees_client:
        return tuple(SignatureMethod)
    return (SignatureMethod.SMS, SignatureMethod.UPLOAD)


def check_sms_recipient(program_sees_client: bool, typed: bool, chosen: bool) -> None:
    """Which number a program may text the consent request to.

    A program that sees the client may type a new number (it is added to the client's profile).
    A program that cannot see the client may text only a number already on the profile, chosen by
    its id: a typed number would let it text itself, reply YES and sign its own way in.
    """
    if typed and chosen:
        raise ValidationFailed("Type a number or choose one on file, not both.", field="phone",
                               code="phone_and_choice")
    if typed and not program_sees_client:
        raise NotAllowed(
            "Your program cannot see this client's details yet, so it may text only a number already "
            "on the client's profile. Choose one of those numbers, or have the client sign on the "
            "paper form.",
            code="sms_number_needs_consent",
        )


def check_signature_method(method: SignatureMethod, program_sees_client: bool) -> None:
    """NotAllowed when ``signature_methods_for`` does not offer ``method``."""
    if method not in signature_methods_for(program_sees_client):
        raise NotAllowed(
            "Your program cannot see this client's details yet, so the client must sign by text "
            "message or on the paper form (upload the signed scan); e-signing on screen is not "
            "available.",
            code="esign_needs_consent",
        )
