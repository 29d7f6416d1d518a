"""The security code texted to a client who replied YES (guide Part 3, "Text Message"): its
shape, how many wrong entries lock it, and when it can no longer be accepted. How long a code
lives is the workflows' timer policy (`TimerPolicy.sms_code_ttl_seconds`), by default
SMS_CODE_TTL_SECONDS (12 hours)."""

from __future__ import annotations

from datetime import datetime

from domain.errors import InvalidTransition, ValidationFailed
from domain.wording import duration

SMS_CODE_LENGTH = 6
SMS_CODE_MAX_ATTEMPTS = 5
SMS_CODE_TTL_SECONDS = 12 * 3600
"""How long a texted code can be entered, from when it was sent (the guide's 12 hours)."""


def normalize_sms_code(text: str | None) -> str:
    """The security code as typed, without spaces or dashes; exactly SMS_CODE_LENGTH digits.

    Raises ValidationFailed on field ``code`` otherwise (a malformed entry is not an attempt).
    """
    compact = "".join((text or "").replace("-", " ").split())
    if len(compact) != SMS_CODE_LENGTH or not compact.isascii() or not compact.isdigit():
        raise ValidationFailed(
            f"The security code is {SMS_CODE_LENGTH} digits; type it as the client reads it out.",
            field="code",
            code="code_malformed",
        )
    return compact


def check_sms_code_live(*, sent: bool, attempts: int, expires_at: datetime | None, now: datetime,
                        ttl_seconds: int) -> None:
    """Refuse a code entry when no code can be accepted: none sent yet, locked after
    SMS_CODE_MAX_ATTEMPTS wrong codes, or past its expiry (``ttl_seconds`` from sending, the
    policy's `sms_code_ttl_seconds`, which the refusal states)."""
    if not sent or expires_at is None:
        raise InvalidTransition(
            "No security code has been sent yet: the client must first reply YES to the text.",
            code="code_not_sent",
        )
    if attempts >= SMS_CODE_MAX_ATTEMPTS:
        raise InvalidTransition(
            f"The security code is locked after {SMS_CODE_MAX_ATTEMPTS} wrong entries. "
            "Use 'Resend code' to text the client a new one.",
            code="code_locked",
        )
    if now >= expires_at:
        raise ValidationFailed(
            f"This security code has expired (a code is valid for {duration(ttl_seconds)} from when "
            "it was sent). Use 'Resend code' to text the client a new one.",
            field="code",
            code="code_expired",
        )


def wrong_code_reason(attempts: int) -> str:
    """What to tell staff after the ``attempts``-th wrong code."""
    left = SMS_CODE_MAX_ATTEMPTS - attempts
    if left <= 0:
        return (
            f"The security code is not correct. After {SMS_CODE_MAX_ATTEMPTS} wrong entries the "
            "code is locked: use 'Resend code' to text the client a new one."
        )
    tries = "try" if left == 1 else "tries"
    return f"The security code is not correct. Check it with the client ({left} {tries} left)."
