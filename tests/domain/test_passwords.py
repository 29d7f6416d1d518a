from datetime import timedelta

import pytest

from domain.errors import ValidationFailed
from domain.passwords import (
    COMMON_PASSWORDS,
    MAX_LENGTH,
    RESET_TOKEN_TTL,
    THROTTLE_WINDOW,
    check_password,
    normalize_password,
    require_valid_password,
    throttle_delay,
)

EMAIL = "jane.doe@mt.gov"
NAMES = ("Jane", "Doe")


def reasons_for(password: str, **kwargs) -> list[str]:
    return check_password(password, **kwargs)


@pytest.mark.parametrize(
    "password",
    [
        "Kx7#mPq2z",
        "Trail&Maple42",
        "Tr0ub4dor&3",
        "blue kettle sings softly",  # passphrase: no digit, upper case or symbol needed
        "ok zebra lantern orbit",
        "aspenriverglowcoffee",
        "x" * 3 + "Yz9!" + "lanternmoth" * 5,  # 66 characters: long passwords are welcome
        "Élan-Vital-Größe-42",  # non-ASCII letters count as letters
        "Pa$$ph-7Qz ✓",
    ],
)
def test_good_passwords_pass(password):
    assert check_password(password, email=EMAIL, names=NAMES) == []


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Ab1!xyz", "at least 8 characters"),
        ("kx7#mpq2z", "an upper case letter"),
        ("KX7#MPQ2Z", "a lower case letter"),
        ("Kx#mPqzqz", "a number"),
        ("Kx7mPq2zw", "a symbol"),
        ("x" * (MAX_LENGTH + 1) + "A1!", f"at most {MAX_LENGTH} characters"),
        ("Kx7#mPq\n2z", "control characters"),
    ],
)
def test_length_and_composition(password, expected):
    reasons = check_password(password)
    assert any(expected in r for r in reasons), reasons


def test_every_missing_class_is_named_in_one_sentence():
    (reason,) = [r for r in check_password("abcdwxyz") if r.startswith("Add")]
    assert "a number" in reason and "an upper case letter" in reason and "a symbol" in reason
    assert "lower case" not in reason
    assert "passphrase" in reason


def test_space_counts_as_a_symbol():
    assert check_password("Kx7 mPq2z") == []


@pytest.mark.parametrize("length", [16, 40, 64, MAX_LENGTH])
def test_passphrases_are_exempt_from_composition(length):
    phrase = ("granite owl meadow " * 10)[:length]
    assert not any(r.startswith("Add") for r in check_password(phrase))


def test_fifteen_characters_is_not_yet_a_passphrase():
    assert any(r.startswith("Add") for r in check_password("granite owl mea"))


@pytest.mark.parametrize(
    "password",
    [
        "Password1!",
        "password1!",
        "PASSWORD123!",
        "Welcome1!",
        "Welcome@123",
        "Summer2024!",
        "Winter2023#",
        "Spring21!",
        "Autumn2025$",
        "Montana2024!",
        "P@ssw0rd1!",
        "P@$$w0rd!",
        "Passw0rd!",
        "L3tm31n!!",
        "1Password!",
        "!Qaz2wsx",
        "Qwerty123!",
        "Iloveyou1!",
        "Trustno1!",
        "Football1!",
        "Jennifer1!",
        "Yankees#1",
        "Griz2024!",
        "Bobcats1!",
        "Changeme1!",
        "Correct Horse Battery Staple",
        "correcthorsebatterystaple",
    ],
)
def test_common_passwords_are_refused(password):
    reasons = check_password(password)
    assert any("too common" in r for r in reasons), reasons


def test_common_list_is_large_and_lowercase():
    assert len(COMMON_PASSWORDS) >= 2500
    assert all(word == word.casefold() for word in COMMON_PASSWORDS)
    assert {"password", "123456", "qwerty", "welcome", "summer"} <= COMMON_PASSWORDS


@pytest.mark.parametrize(
    "password", ["Aa1!Aa1!", "Xy9$Xy9$Xy9$", "Abcdefg1!", "Qwertyuiop1!", "Zyxwvu9!"]
)
def test_repeats_and_sequences_are_refused(password):
    reasons = check_password(password)
    assert any("too common" in r or "repeated or sequential" in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("password", "kwargs", "expected"),
    [
        ("Jane!Lake92", {"names": ["Jane"]}, "your own name"),
        ("xDOE#river4", {"names": ["Jane Doe"]}, "your own name"),
        ("M@rt!nez77q", {"names": ["Martinez"]}, "your own name"),
        ("Jose#Harbor7", {"names": ["José Ortiz"]}, "your own name"),
        ("River#jdoe42", {"email": "jdoe42@dphhs.mt.gov"}, "email address"),
        ("Jane.Doe#9x", {"email": "jane.doe@mt.gov"}, "email address"),
        ("Connect#2024x", {}, "CONNECT"),
        ("myC0NN3CT!pw", {}, "CONNECT"),
    ],
)
def test_context_words_are_refused(password, kwargs, expected):
    reasons = check_password(password, **kwargs)
    assert any(expected in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("password", "names"),
    [
        ("Al#Harbor792", ["Al", "Ng"]),  # name parts under 3 letters are not forbidden
        ("Kx7#mPq2z", ["Jane", "Doe"]),
    ],
)
def test_short_or_absent_name_parts_are_allowed(password, names):
    assert check_password(password, names=names) == []


def test_every_failure_is_reported():
    reasons = check_password("jane", email="jane@mt.gov", names=["Jane"])
    assert len(reasons) >= 4


def test_nfkc_normalisation():
    assert normalize_password("Ｋｘ７＃ｍＰｑ２ｚ") == "Kx7#mPq2z"
    assert check_password("Ｋｘ７＃ｍＰｑ２ｚ") == []


def test_require_valid_password_raises_with_all_reasons():
    with pytest.raises(ValidationFailed) as caught:
        require_valid_password("password", email=EMAIL, names=NAMES)
    error = caught.value
    assert error.field == "new_password"
    assert "too common" in error.reason and "Add" in error.reason


def test_require_valid_password_accepts_a_good_one():
    assert require_valid_password("Trail&Maple42", email=EMAIL, names=NAMES) is None


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [
        (0, 0), (1, 0), (4, 0), (5, 2), (6, 4), (7, 8), (10, 64), (13, 512),
        (14, 900), (15, 900), (1000, 900),
    ],
)
def test_throttle_delay(failures, seconds):
    assert throttle_delay(failures) == timedelta(seconds=seconds)


def test_throttle_never_locks_out():
    assert max(throttle_delay(n) for n in range(10_000)) == timedelta(minutes=15)


def test_throttle_rejects_negative_counts():
    with pytest.raises(ValueError):
        throttle_delay(-1)


def test_durations():
    assert RESET_TOKEN_TTL == timedelta(hours=1)
    assert THROTTLE_WINDOW == timedelta(minutes=15)
