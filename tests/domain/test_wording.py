import pytest

from domain.wording import business_days, counted, duration, in_words


@pytest.mark.parametrize("number, text", [(0, "0 agencies"), (1, "1 agency"), (2, "2 agencies")])
def test_counted(number, text):
    assert counted(number, "agency", "agencies") == text


@pytest.mark.parametrize("number, text", [(1, "one business day"), (5, "five business days"),
                                          (9, "nine business days"), (10, "10 business days")])
def test_in_words(number, text):
    assert in_words(number, "business day", "business days") == text


@pytest.mark.parametrize("seconds, text", [(12 * 3600, "12 hours"), (3600, "one hour"), (86400, "one day"),
                                           (90, "90 seconds"), (120, "two minutes"), (1, "one second")])
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_the_policy_defaults_are_the_figures_the_words_state():
    from domain.business_days import ESCALATION_BUSINESS_DAYS
    from domain.sms_code import SMS_CODE_TTL_SECONDS
    from workflows.policy import DEFAULT_POLICY

    assert DEFAULT_POLICY.escalation_business_days == ESCALATION_BUSINESS_DAYS
    assert DEFAULT_POLICY.sms_code_ttl_seconds == SMS_CODE_TTL_SECONDS
    assert (business_days(ESCALATION_BUSINESS_DAYS), duration(SMS_CODE_TTL_SECONDS)) == ("five business days", "12 hours")
