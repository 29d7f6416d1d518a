import pytest

from domain.errors import ValidationFailed
from domain.phones import (
    NO_PHONE,
    format_phone,
    has_no_phone,
    is_no_phone,
    normalize_phone,
    numbers_in_words,
    phone_in_words,
    reachable_numbers,
)


@pytest.mark.parametrize(
    "text",
    [
        "(406) 555-1234",
        "406.555.1234",
        "406-555-1234",
        "406 555 1234",
        "+1 406 555 1234",
        "+1 (406) 555-1234",
        "+14065551234",
        "1-406-555-1234",
        "14065551234",
        "4065551234",
        "  (406)555-1234  ",
        "406/555-1234",
        "４０６５５５１２３４",  # full-width digits from some keyboards
    ],
)
def test_accepted_forms(text):
    assert normalize_phone(text) == "+14065551234"


@pytest.mark.parametrize(
    "text",
    [
        "(999)-999-9999",
        "(999) 999-9999",
        "999-999-9999",
        "9999999999",
        "+1 999 999 9999",
        "1-999-999-9999",
    ],
)
def test_no_phone_is_accepted(text):
    assert normalize_phone(text) == NO_PHONE
    assert is_no_phone(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Enter a phone number"),
        ("   ", "Enter a phone number"),
        ("555-1234", "has 7"),
        ("406-555-12345", "has 11"),
        ("24065551234", "has 11"),
        ("+1 406 555 123", "has 9"),
        ("(106) 555-1234", "area code cannot start with 0 or 1"),
        ("(006) 555-1234", "area code cannot start with 0 or 1"),
        ("(406) 155-1234", "cannot start with 0 or 1"),
        ("(406) 055-1234", "cannot start with 0 or 1"),
        ("+44 20 7946 0958", "Only US phone numbers"),
        ("1-800-CONNECT", "digits only"),
        ("call me", "digits only"),
        ("406-555-1234 x12", "extension"),
        ("406 555 1234 ext. 5", "extension"),
        ("(406) 555-1234 #2", "extension"),
        ("406_555_1234", "only digits"),
        ("406*555*1234", "only digits"),
    ],
)
def test_refused_with_a_reason(text, expected):
    with pytest.raises(ValidationFailed) as caught:
        normalize_phone(text)
    assert caught.value.field == "phone"
    assert expected in caught.value.reason


@pytest.mark.parametrize(
    "text", [None, "", "(406) 555-1234", "999-9999", "not a phone", "+19999999998"]
)
def test_is_no_phone_false(text):
    assert not is_no_phone(text)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("+14065551234", "(406) 555-1234"),
        ("+12125550000", "(212) 555-0000"),
        (NO_PHONE, "(999) 999-9999"),
        ("406.555.1234", "(406) 555-1234"),
    ],
)
def test_format_phone(value, shown):
    assert format_phone(value) == shown


def test_format_round_trips():
    assert normalize_phone(format_phone("+14065551234")) == "+14065551234"


def test_format_refuses_garbage():
    with pytest.raises(ValidationFailed):
        format_phone("12345")


@pytest.mark.parametrize(
    "numbers, no_phone, shown",
    [
        ([], True, ["No phone"]),
        ([NO_PHONE], True, ["No phone"]),
        (["+14065551234"], False, ["(406) 555-1234"]),
        # The all-nines value beside a real number is never shown as a number.
        ([NO_PHONE, "+14065551234"], False, ["(406) 555-1234"]),
        (["+14065551234", "+14065559876"], False, ["(406) 555-1234", "(406) 555-9876"]),
    ],
)
def test_one_rule_for_no_phone(numbers, no_phone, shown):
    assert has_no_phone(numbers) is no_phone
    assert numbers_in_words(numbers) == shown
    assert NO_PHONE not in reachable_numbers(numbers)


@pytest.mark.parametrize("value, shown", [(NO_PHONE, "No phone"), ("+14065551234", "(406) 555-1234"),
                                          (None, ""), ("", ""), ("not a number", "not a number")])
def test_phone_in_words(value, shown):
    assert phone_in_words(value) == shown
