"""The password policy, the reset-token lifetime and the login-throttle rule.

The guide (Part 1, B) asks for "at least 8 characters with at least 1 number, 1 upper case,
1 lower case and 1 symbol". NIST SP 800-63B discourages such composition rules and asks instead
for length, a check against commonly used and compromised passwords, a check against
context-specific words (the service's name, the user's own name) and throttling rather than
lockout. We keep both readings:

- Every password must be 8 to 128 characters long (NIST: accept at least 64).
- A password shorter than 16 characters must also meet the guide's composition rule (any
  character that is neither a letter nor a digit, a space included, counts as a symbol). A
  passphrase of 16 characters or more is exempt: length does more for it than composition, and
  NIST asks us not to force symbols into "correct horse battery staple".
- No password may be a common password (``data/common_passwords.txt``), compared
  case-insensitively, also after stripping leading/trailing digits and symbols (``Summer2024!`` is
  ``summer``) and after undoing common look-alike substitutions (``P@ssw0rd`` is ``password``).
- No password may repeat one short pattern or be a keyboard or alphabet run (``Aa1!Aa1!``,
  ``Abcdefg1!``).
- No password may contain the user's own name parts of 3 letters or more, their email's local
  part (or its parts), or the system's name, "connect".

Passwords are compared and measured after Unicode NFKC normalisation (NIST 5.1.1.2); the hashing
code should hash ``normalize_password(password)`` so the same keystrokes always verify.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from domain.errors import ValidationFailed

MIN_LENGTH = 8
MAX_LENGTH = 128
PASSPHRASE_LENGTH = 16
"""From this length on a password is a passphrase and is exempt from the composition rule."""

SYSTEM_NAME = "connect"
MIN_NAME_PART = 3
"""Name and email parts shorter than this are not forbidden (a user named "Al" may type "al")."""

RESET_TOKEN_TTL = timedelta(hours=1)
"""How long a "Forgot Password" link stays valid."""

THROTTLE_WINDOW = timedelta(minutes=15)
"""Failed logins older than this no longer count towards the throttle."""
THROTTLE_FREE_FAILURES = 4
THROTTLE_MAX_DELAY = timedelta(minutes=15)
RESET_ADDRESS_FREE_REQUESTS = 50
""""Forgot Password" requests one address may make in THROTTLE_WINDOW before it waits: a clinic
shares one address, so the tight limit is per account and the address limit only stops floods."""

_DATA = Path(__file__).with_name("data") / "common_passwords.txt"


def _load_common(path: Path) -> frozenset[str]:
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.strip().casefold()
        if not word or word.startswith("#"):
            continue
        words.add(word)
        # "trustno1" also refuses "Trustno1!" once the checker strips it to "trustno".
        core = _strip_affixes(word)
        if len(core) >= 3:
            words.add(core)
    return frozenset(words)


_AFFIX = re.compile(r"^[^a-z]+|[^a-z]+$")
_TRAILING = re.compile(r"[^a-z]+$")


def _strip_affixes(text: str) -> str:
    return _AFFIX.sub("", text)


# Look-alike substitutions people use to satisfy composition rules. "1" reads as i or l.
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "3": "e", "$": "s", "5": "s", "7": "t",
                       "+": "t", "8": "b", "9": "g", "!": "i", "|": "l"})


def _unleet(text: str) -> set[str]:
    base = text.translate(_LEET)
    return {base.replace("1", "i"), base.replace("1", "l")}


COMMON_PASSWORDS: frozenset[str] = _load_common(_DATA)

_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
)


def normalize_password(password: str) -> str:
    """Return ``password`` in Unicode NFKC form, the form to measure, check and hash."""
    return unicodedata.normalize("NFKC", password)


def _fold(text: str) -> str:
    """Casefold and strip accents, so "José" and "jose" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _is_common(lowered: str) -> bool:
    compact = re.sub(r"\s+", "", lowered)
    candidates = {compact, _strip_affixes(compact)}
    trailing_stripped = _TRAILING.sub("", compact)
    for form in (compact, trailing_stripped):
        for plain in _unleet(form):
            candidates.add(plain)
            candidates.add(_strip_affixes(plain))
    candidates.discard("")
    return any(c in COMMON_PASSWORDS for c in candidates)


def _is_trivial(lowered: str) -> bool:
    # One short unit repeated: "aaaaaaaa", "abcabcabc", "aa1!aa1!".
    n = len(lowered)
    for unit in range(1, min(4, n // 2) + 1):
        if n % unit == 0 and lowered == lowered[:unit] * (n // unit):
            return True
    # A keyboard or alphabet run once digits and symbols are stripped off: "Abcdefg1!".
    core = _strip_affixes(lowered)
    if len(core) >= 4:
        for seq in _SEQUENCES:
            if core in seq or core in seq[::-1]:
                return True
    return False


def _name_parts(names: Sequence[str]) -> list[str]:
    parts: list[str] = []
    for name in names:
        for part in re.split(r"[^\w]+|_", _fold(name)):
            if len(part) >= MIN_NAME_PART and part not in parts:
                parts.append(part)
    return parts


def _email_parts(email: str) -> list[str]:
    local = _fold(email).split("@", 1)[0].strip()
    if not local:
        return []
    parts = [local] if len(local) >= MIN_NAME_PART else []
    for part in re.split(r"[^a-z]+", local):
        if len(part) >= MIN_NAME_PART and part not in parts:
            parts.append(part)
    return parts


def _contains(folded_password: str, word: str) -> bool:
    if word in folded_password:
        return True
    return any(word in plain for plain in _unleet(folded_password))


def check_password(password: str, *, email: str = "", names: Sequence[str] = ()) -> list[str]:
    """Return every reason ``password`` fails the policy; an empty list means it is acceptable.

    ``email`` is the user's email address and ``names`` their name(s) (first, last, or full
    names; each is split into parts). Each reason is a sentence the user can act on.
    """
    password = normalize_password(password)
    reasons: list[str] = []
    length = len(password)

    if length < MIN_LENGTH:
        reasons.append(f"Use at least {MIN_LENGTH} characters.")
    elif length > MAX_LENGTH:
        reasons.append(f"Use at most {MAX_LENGTH} characters.")

    # Only control characters: format characters such as the zero-width joiner build emoji.
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        reasons.append("Remove invisible or control characters such as tabs and line breaks.")

    if length < PASSPHRASE_LENGTH:
        missing = []
        if not any(ch.isdecimal() for ch in password):
            missing.append("a number")
        if not any(ch.isupper() for ch in password):
            missing.append("an upper case letter")
        if not any(ch.islower() for ch in password):
            missing.append("a lower case letter")
        if not any(not ch.isalnum() for ch in password):
            missing.append("a symbol")
        if missing:
            reasons.append(
                f"Add {_join(missing)}, "
                f"or use a passphrase of {PASSPHRASE_LENGTH} characters or more."
            )

    lowered = _fold(password)
    if lowered and _is_common(lowered):
        reasons.append("This password is too common and easy to guess; choose a different one.")
    elif length >= MIN_LENGTH and _is_trivial(lowered):
        reasons.append(
            "Avoid repeated or sequential characters such as \"aaaa\", \"abcd\" or \"qwerty\"."
        )

    if _contains(lowered, SYSTEM_NAME):
        reasons.append("Do not use the system's name, CONNECT, in your password.")

    found_names = [p for p in _name_parts(names) if _contains(lowered, p)]
    if found_names:
        reasons.append("Do not use your own name in your password.")

    found_email = [p for p in _email_parts(email) if _contains(lowered, p)]
    if found_email:
        reasons.append("Do not use your email address or part of it in your password.")

    return reasons


def require_valid_password(password: str, *, email: str = "", names: Sequence[str] = ()) -> None:
    """Raise ``ValidationFailed`` (field ``new_password``) with every reason the password fails.

    Takes the same arguments as ``check_password``; returns ``None`` if the password is acceptable.
    """
    reasons = check_password(password, email=email, names=names)
    if reasons:
        raise ValidationFailed(" ".join(reasons), field="new_password", code="weak_password")


def throttle_delay(failures_in_window: int, free: int = THROTTLE_FREE_FAILURES) -> timedelta:
    """How long to make the next login attempt wait after ``failures_in_window`` failures.

    The first four (``free``) failures within ``THROTTLE_WINDOW`` cost nothing; after that the wait doubles
    with each failure (2 s, 4 s, 8 s, ...) up to 15 minutes. There is never a permanent lockout
    (NIST SP 800-63B 5.2.2): lockouts let anyone who knows an email address lock its owner out.
    """
    if failures_in_window < 0:
        raise ValueError("failures_in_window cannot be negative")
    excess = failures_in_window - free
    if excess <= 0:
        return timedelta(0)
    cap = THROTTLE_MAX_DELAY.total_seconds()
    if excess >= 20:  # 2**20 s is far past the cap; avoid building huge numbers
        return THROTTLE_MAX_DELAY
    return timedelta(seconds=min(2**excess, cap))


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]
