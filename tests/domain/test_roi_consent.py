"""ROI rules added for the consent workflow: information types, purpose, codes, Part 2, scans."""

from datetime import datetime, timedelta, timezone

import pytest

from domain.errors import InvalidTransition, ValidationFailed
from domain.roi import (
    InformationType,
    RoiState,
    SignatureMethod,
    check_information_types,
    check_purpose,
    check_signature_withdrawal,
    part2_programs_exposed,
)
from domain.sms_code import (
    SMS_CODE_MAX_ATTEMPTS,
    SMS_CODE_TTL_SECONDS,
    check_sms_code_live,
    normalize_sms_code,
    wrong_code_reason,
)
from domain.sms_replies import SmsKeyword, classify_reply, opts_in

I = InformationType
NOW = datetime(2026, 5, 6, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("chosen", "consented", "expected"),
    [
        (["demographics", "contact_information"], [], (I.CONTACT_INFORMATION, I.DEMOGRAPHICS)),
        (["hiv_sti"], ["hiv_sti"], (I.HIV_STI,)),
        (["mental_health", "reason_for_referral"], ["mental_health", "hiv_sti"],
         (I.REASON_FOR_REFERRAL, I.MENTAL_HEALTH)),
        # consenting to a type that is not shared adds nothing
        (["housing_status"], ["substance_use"], (I.HOUSING_STATUS,)),
    ],
)
def test_information_types_accepted(chosen, consented, expected):
    assert check_information_types(chosen, consented) == expected


@pytest.mark.parametrize(
    ("chosen", "consented", "code"),
    [
        ([], [], "information_types_missing"),
        (["hiv_sti"], [], "sensitive_consent_missing"),
        (["contact_information", "substance_use"], ["hiv_sti"], "sensitive_consent_missing"),
        (["reproductive_health"], [], "sensitive_consent_missing"),
        (["shoe_size"], [], "unknown_information_type"),
    ],
)
def test_information_types_refused(chosen, consented, code):
    with pytest.raises(ValidationFailed) as caught:
        check_information_types(chosen, consented)
    assert caught.value.code == code
    assert caught.value.field == "information_types"


def test_sensitive_refusal_names_the_type():
    with pytest.raises(ValidationFailed) as caught:
        check_information_types(["substance_use"], [])
    assert "Substance use" in caught.value.reason and "explicitly consents" in caught.value.reason


@pytest.mark.parametrize(("text", "expected"), [("  Food   referral ", "Food referral"), ("x", "x")])
def test_purpose_trimmed(text, expected):
    assert check_purpose(text) == expected


@pytest.mark.parametrize(("text", "code"), [("", "purpose_missing"), (None, "purpose_missing"),
                                            ("   ", "purpose_missing"), ("a" * 501, "purpose_too_long")])
def test_purpose_refused(text, code):
    with pytest.raises(ValidationFailed) as caught:
        check_purpose(text)
    assert caught.value.code == code


@pytest.mark.parametrize(("typed", "code"), [("123456", "123456"), (" 123 456 ", "123456"),
                                             ("123-456", "123456")])
def test_sms_code_normalized(typed, code):
    assert normalize_sms_code(typed) == code


@pytest.mark.parametrize("typed", ["", None, "12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_malformed_sms_code_refused(typed):
    with pytest.raises(ValidationFailed) as caught:
        normalize_sms_code(typed)
    assert caught.value.field == "code"


def test_live_code_passes():
    check_sms_code_live(sent=True, attempts=4, expires_at=NOW + timedelta(seconds=1), now=NOW, ttl_seconds=60)


@pytest.mark.parametrize(
    ("sent", "attempts", "expires_at", "error", "code"),
    [
        (False, 0, None, InvalidTransition, "code_not_sent"),
        (True, SMS_CODE_MAX_ATTEMPTS, NOW + timedelta(hours=1), InvalidTransition, "code_locked"),
        (True, 0, NOW, ValidationFailed, "code_expired"),
        (True, 0, NOW - timedelta(hours=1), ValidationFailed, "code_expired"),
    ],
)
def test_dead_code_refused(sent, attempts, expires_at, error, code):
    with pytest.raises(error) as caught:
        check_sms_code_live(sent=sent, attempts=attempts, expires_at=expires_at, now=NOW,
                            ttl_seconds=SMS_CODE_TTL_SECONDS)
    assert caught.value.code == code
    assert "Resend" in caught.value.reason or code == "code_not_sent"


@pytest.mark.parametrize(("attempts", "hint"), [(1, "4 tries left"), (4, "1 try left"), (5, "locked")])
def test_wrong_code_reason(attempts, hint):
    assert hint in wrong_code_reason(attempts)


@pytest.mark.parametrize(
    ("programs", "exposed"),
    [
        ({1: False, 2: True}, []),  # the sender and one Part 2 program: no one else learns
        ({1: False, 2: True, 3: False}, [2]),
        ({1: True, 2: False, 3: False}, []),  # the sender itself is Part 2: it discloses by referring
        ({1: False, 2: True, 3: True}, [2, 3]),
        ({1: False, 2: False, 3: False}, []),
    ],
)
def test_part2_exposure(programs, exposed):
    assert part2_programs_exposed(1, programs) == exposed


def test_only_an_uploaded_signature_can_be_withdrawn():
    assert check_signature_withdrawal(RoiState.SIGNED, SignatureMethod.UPLOAD) is RoiState.AWAITING_SIGNATURE
    for method in (SignatureMethod.ESIGN, SignatureMethod.SMS, None):
        with pytest.raises(InvalidTransition):
            check_signature_withdrawal(RoiState.SIGNED, method)
    with pytest.raises(InvalidTransition):
        check_signature_withdrawal(RoiState.REVOKED, SignatureMethod.UPLOAD)


@pytest.mark.parametrize(
    ("body", "keyword"),
    [("YES", SmsKeyword.YES), (" yes ", SmsKeyword.YES), ("Yes!", SmsKeyword.YES), ("yes.", SmsKeyword.YES),
     ("STOP", SmsKeyword.STOP), ("unsubscribe", SmsKeyword.STOP), ("Quit", SmsKeyword.STOP),
     ("START", SmsKeyword.START), ("unstop", SmsKeyword.START), ("help", SmsKeyword.HELP),
     ("INFO", SmsKeyword.HELP), ("yes please", SmsKeyword.OTHER), ("123456", SmsKeyword.OTHER),
     ("", SmsKeyword.OTHER), (None, SmsKeyword.OTHER)],
)
def test_classify_reply(body, keyword):
    assert classify_reply(body) is keyword


def test_yes_and_start_opt_back_in():
    assert opts_in(SmsKeyword.YES) and opts_in(SmsKeyword.START)
    assert not opts_in(SmsKeyword.STOP) and not opts_in(SmsKeyword.HELP)


@pytest.mark.parametrize("state", [RoiState.DRAFT, RoiState.AWAITING_SIGNATURE])
def test_signable_while_open_and_complete(state):
    from domain.roi import check_signable

    check_signable(state, True)


@pytest.mark.parametrize(
    ("state", "completed", "code"),
    [(RoiState.DRAFT, False, "roi_not_complete"), (RoiState.SIGNED, True, "roi_not_signable"),
     (RoiState.REVOKED, True, "roi_not_signable"), (RoiState.EXPIRED, True, "roi_not_signable"),
     (RoiState.ABANDONED, True, "roi_not_signable")],
)
def test_not_signable(state, completed, code):
    from domain.roi import check_signable

    with pytest.raises(InvalidTransition) as caught:
        check_signable(state, completed)
    assert caught.value.code == code


@pytest.mark.parametrize("ttl_seconds, words", [(SMS_CODE_TTL_SECONDS, "12 hours"), (1800, "30 minutes"),
                                                (7200, "two hours")])
def test_expired_code_states_the_policy_lifetime(ttl_seconds, words):
    with pytest.raises(ValidationFailed) as caught:
        check_sms_code_live(sent=True, attempts=0, expires_at=NOW, now=NOW, ttl_seconds=ttl_seconds)
    assert f"a code is valid for {words} from when it was sent" in caught.value.reason
