from datetime import date

import pytest

from domain.errors import InvalidTransition, NotAllowed, ValidationFailed
from domain.roi import (
    ROI_TRANSITIONS,
    AuthorizerKind,
    InformationType,
    RoiState,
    SignatureMethod,
    check_authorizer,
    check_roi_transition,
    check_signature_method,
    check_signer,
    expiry_reminder_on,
    is_roi_valid,
    last_valid_day,
    roi_expires_on,
    signature_methods_for,
)
from domain.sms_code import SMS_CODE_LENGTH, SMS_CODE_MAX_ATTEMPTS

R = RoiState

ALLOWED = [
    (R.DRAFT, R.AWAITING_SIGNATURE),
    (R.DRAFT, R.ABANDONED),
    (R.AWAITING_SIGNATURE, R.SIGNED),
    (R.AWAITING_SIGNATURE, R.ABANDONED),
    (R.SIGNED, R.EXPIRED),
    (R.SIGNED, R.REVOKED),
    (R.SIGNED, R.AWAITING_SIGNATURE),  # an uploaded scan deleted: see check_signature_withdrawal
]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_transitions(current, target):
    assert check_roi_transition(current, target) is target
    assert check_roi_transition(str(current), str(target)) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c in RoiState for t in RoiState if (c, t) not in ALLOWED],
)
def test_every_other_transition_is_refused(current, target):
    with pytest.raises(InvalidTransition) as caught:
        check_roi_transition(current, target)
    assert caught.value.code == f"roi_cannot_become_{target}"
    assert "release of information" in caught.value.reason


@pytest.mark.parametrize(
    ("current", "target", "hint"),
    [
        (R.DRAFT, R.SIGNED, "It can only become awaiting signature or abandoned."),
        (R.DRAFT, R.REVOKED, "Only a signed release of information can be revoked"),
        (R.EXPIRED, R.SIGNED, "start a new release of information"),
        (R.REVOKED, R.SIGNED, "start a new release of information"),
    ],
)
def test_refusals_say_what_to_do(current, target, hint):
    with pytest.raises(InvalidTransition) as caught:
        check_roi_transition(current, target)
    assert hint in caught.value.reason


def test_final_states():
    assert {s for s, nexts in ROI_TRANSITIONS.items() if not nexts} == {
        R.EXPIRED,
        R.REVOKED,
        R.ABANDONED,
    }


@pytest.mark.parametrize(
    ("signed_on", "expires_on"),
    [
        (date(2025, 5, 6), date(2026, 5, 6)),
        (date(2024, 2, 29), date(2025, 2, 28)),
        (date(2025, 12, 31), date(2026, 12, 31)),
        (date(2027, 3, 1), date(2028, 3, 1)),
    ],
)
def test_roi_expires_one_calendar_year_after_signature(signed_on, expires_on):
    assert roi_expires_on(signed_on) == expires_on


def test_the_last_valid_day_is_the_day_before_expiry():
    expires_on = roi_expires_on(date(2024, 2, 29))
    assert last_valid_day(expires_on) == date(2025, 2, 27)
    assert is_roi_valid(RoiState.SIGNED, expires_on, last_valid_day(expires_on))
    assert not is_roi_valid(RoiState.SIGNED, expires_on, expires_on)


@pytest.mark.parametrize(
    ("state", "expires_on", "today", "valid"),
    [
        (R.SIGNED, date(2026, 5, 6), date(2025, 5, 6), True),
        (R.SIGNED, date(2026, 5, 6), date(2026, 5, 5), True),
        (R.SIGNED, date(2026, 5, 6), date(2026, 5, 6), False),  # expires on that day
        (R.SIGNED, date(2026, 5, 6), date(2027, 1, 1), False),
        (R.SIGNED, None, date(2025, 5, 6), False),
        (R.AWAITING_SIGNATURE, date(2026, 5, 6), date(2025, 5, 6), False),
        (R.REVOKED, date(2026, 5, 6), date(2025, 5, 6), False),
        (R.EXPIRED, date(2026, 5, 6), date(2025, 5, 6), False),
        ("signed", date(2026, 5, 6), date(2025, 5, 6), True),
    ],
)
def test_is_roi_valid(state, expires_on, today, valid):
    assert is_roi_valid(state, expires_on, today) is valid


@pytest.mark.parametrize(
    ("expires_on", "days_before", "remind_on"),
    [
        (date(2026, 5, 6), 30, date(2026, 4, 6)),
        (date(2026, 3, 1), 30, date(2026, 1, 30)),
        (date(2026, 5, 6), 7, date(2026, 4, 29)),
    ],
)
def test_expiry_reminder_on(expires_on, days_before, remind_on):
    assert expiry_reminder_on(expires_on, days_before) == remind_on


def test_expiry_reminder_defaults_to_thirty_days():
    assert expiry_reminder_on(date(2026, 5, 6)) == date(2026, 4, 6)


@pytest.mark.parametrize(
    ("authorizer", "typed"),
    [
        ("Jane Doe", "Jane Doe"),
        ("Jane Doe", "jane doe"),
        ("Jane Doe", "  JANE   DOE "),
        ("José de la Cruz", "Jose de la Cruz"),
        ("José  de la Cruz", "jose dela cruz"),
        ("Zoë Brontë", "ZOE BRONTE"),
        ("Renée Two Feathers", "renee twofeathers"),
    ],
)
def test_check_signer_accepts_the_authorisers_name(authorizer, typed):
    check_signer(authorizer, typed)


@pytest.mark.parametrize(
    ("authorizer", "typed", "code"),
    [
        ("Jane Doe", "John Doe", "signature_mismatch"),
        ("Jane Doe", "Jane", "signature_mismatch"),
        ("Jane Doe", "Jane Q Doe", "signature_mismatch"),
        ("Jane Doe", "", "signature_missing"),
        ("Jane Doe", "   ", "signature_missing"),
        ("Jane Doe", None, "signature_missing"),
    ],
)
def test_check_signer_refuses_anyone_else(authorizer, typed, code):
    with pytest.raises(ValidationFailed) as caught:
        check_signer(authorizer, typed)
    assert caught.value.field == "typed_name"
    assert caught.value.code == code
    assert caught.value.reason


@pytest.mark.parametrize(
    ("kind", "name", "relationship"),
    [
        (AuthorizerKind.SELF, None, None),
        (AuthorizerKind.SELF, "", ""),
        (AuthorizerKind.PARENT_GUARDIAN, "Mary Doe", "Mother"),
        (AuthorizerKind.POWER_OF_ATTORNEY, "Sam Roe", "Attorney-in-fact"),
        ("parent_guardian", "Mary Doe", "Legal guardian"),
    ],
)
def test_check_authorizer_accepts(kind, name, relationship):
    check_authorizer(kind, name, relationship)


@pytest.mark.parametrize(
    ("kind", "name", "relationship", "field"),
    [
        (AuthorizerKind.PARENT_GUARDIAN, "", "Mother", "authorizer_name"),
        (AuthorizerKind.PARENT_GUARDIAN, None, "Mother", "authorizer_name"),
        (AuthorizerKind.PARENT_GUARDIAN, "Mary Doe", "  ", "authorizer_relationship"),
        (AuthorizerKind.POWER_OF_ATTORNEY, "Sam Roe", None, "authorizer_relationship"),
    ],
)
def test_check_authorizer_requires_name_and_relationship_unless_self(
    kind, name, relationship, field
):
    with pytest.raises(ValidationFailed) as caught:
        check_authorizer(kind, name, relationship)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("info", "sensitive"),
    [
        (InformationType.CONTACT_INFORMATION, False),
        (InformationType.DEMOGRAPHICS, False),
        (InformationType.REASON_FOR_REFERRAL, False),
        (InformationType.INSURANCE_INFORMATION, False),
        (InformationType.HOUSING_STATUS, False),
        (InformationType.HOUSEHOLD_INFORMATION, False),
        (InformationType.HIV_STI, True),
        (InformationType.SUBSTANCE_USE, True),
        (InformationType.MENTAL_HEALTH, True),
        (InformationType.REPRODUCTIVE_HEALTH, True),
    ],
)
def test_information_types(info, sensitive):
    assert info.sensitive is sensitive
    assert info.label


@pytest.mark.parametrize(
    ("enum", "values"),
    [
        (SignatureMethod, ["esign", "sms", "upload"]),
        (AuthorizerKind, ["self", "parent_guardian", "power_of_attorney"]),
        (
            RoiState,
            ["draft", "awaiting_signature", "signed", "expired", "revoked", "abandoned"],
        ),
    ],
)
def test_enum_values(enum, values):
    assert [m.value for m in enum] == values
    assert all(m.label for m in enum)


def test_sms_code_constants():
    assert (SMS_CODE_LENGTH, SMS_CODE_MAX_ATTEMPTS) == (6, 5)


@pytest.mark.parametrize(("sees", "method", "allowed"), [
    (True, SignatureMethod.ESIGN, True), (True, SignatureMethod.SMS, True),
    (True, SignatureMethod.UPLOAD, True), (False, SignatureMethod.ESIGN, False),
    (False, SignatureMethod.SMS, True), (False, SignatureMethod.UPLOAD, True),
])
def test_esign_needs_a_program_that_already_sees_the_client(sees, method, allowed):
    assert (method in signature_methods_for(sees)) is allowed
    if allowed:
        check_signature_method(method, sees)
    else:
        with pytest.raises(NotAllowed, match="text message"):
            check_signature_method(method, sees)
