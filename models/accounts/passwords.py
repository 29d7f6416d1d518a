"""Setting passwords: change (current password checked), single-use links (Forgot Password and a
new account's first password), and initial passwords. No web framework here.

A link's token is random and shown only in the email; the table keeps its SHA-256. A link works
once, until it expires (`RESET_TOKEN_TTL` for a reset, `INVITE_TOKEN_TTL` for a new account), and
setting a password by any way uses up every link the person still had.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.accounts.credentials import hash_password, new_token, token_hash, verify_password
from domain.accounts import INVITE_TOKEN_TTL, PASSWORD_HISTORY
from domain.errors import ValidationFailed
from domain.passwords import RESET_TOKEN_TTL, check_password, normalize_password, require_valid_password
from models import audit
from models.accounts.tables import PasswordResetToken, User
from models.accounts.sessions import end_all_sessions

INVITE = "invite"
RESET = "reset"
_TTL = {INVITE: INVITE_TOKEN_TTL, RESET: RESET_TOKEN_TTL}

INVALID_LINK = ("This link has expired or was used already. Ask for a new one with "
                "\"Forgot Password\", or ask your designated administrator.")


def issue_link(db: Session, user: User, purpose: str, now: datetime) -> tuple[PasswordResetToken, str]:
    """A new single-use link for ``user``: the row, and the token that only the email holds."""
    token = new_token()
    row = PasswordResetToken(user_id=user.id, purpose=purpose, token_hash=token_hash(token),
                             created_at=now, expires_at=now + _TTL[purpose])
    db.add(row)
    db.flush()
    return row, token


def link_holder(db: Session, token: str, now: datetime) -> tuple[PasswordResetToken, User] | None:
    """The unused, unexpired link of ``token`` and its active user, or None."""
    row = db.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def check_new_password(user: User, new_password: str, confirm: str | None = None) -> None:
    """The policy (with the person's own name and email), the confirmation, and no reuse."""
    require_valid_password(new_password, email=user.email, names=(user.full_name,))
    if confirm is not None and normalize_password(confirm) != normalize_password(new_password):
        raise ValidationFailed("The two new passwords are not the same; type it again in both.",
                               field="confirm_password", code="mismatch")
    normalized = normalize_password(new_password)
    for old in [user.password_hash, *user.previous_password_hashes]:
        if old and verify_password(old, normalized):
            raise ValidationFailed(
                "You used this password before; choose one you have not used for CONNECT.",
                field="new_password", code="reused_password")


def _store(db: Session, user: User, new_password: str, now: datetime, *, keep_session: int | None) -> None:
    if user.password_hash:
        user.previous_password_hashes = [user.password_hash, *user.previous_password_hashes][
            :PASSWORD_HISTORY]
    user.password_hash = hash_password(normalize_password(new_password))
    user.must_change_password = False
    end_all_sessions(db, user.id, now, keep=keep_session)
    db.execute(update(PasswordResetToken)
               .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
               .values(used_at=now))


def change_password(db: Session, user: User, current_password: str, new_password: str,
                    confirm: str | None, now: datetime) -> None:
    """The signed-in person's own change. Ends every session: the caller starts a new one."""
    if not verify_password(user.password_hash, normalize_password(current_password)):
        raise ValidationFailed("Your current password is not correct.", field="current_password",
                               code="wrong_password")
    check_new_password(user, new_password, confirm)
    _store(db, user, new_password, now, keep_session=None)
    audit.record(db, action="user.password_changed", entity_type="user", entity_id=user.id,
                 user_id=user.id)


def set_password_by_link(db: Session, token: str, new_password: str, confirm: str | None,
                         now: datetime) -> User:
    """Uses a link once. Concurrent uses of the same link: exactly one succeeds."""
    found = link_holder(db, token, now)
    if found is None:
        raise ValidationFailed(INVALID_LINK, field="token", code="invalid_link")
    row, user = found
    check_new_password(user, new_password, confirm)
    claimed = db.execute(update(PasswordResetToken)
                         .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
                         .values(used_at=now))
    if claimed.rowcount != 1:
        raise ValidationFailed(INVALID_LINK, field="token", code="invalid_link")
    _store(db, user, new_password, now, keep_session=None)
    audit.record(db, action=f"user.password_set_by_{row.purpose}", entity_type="user",
                 entity_id=user.id, user_id=user.id)
    return user


def set_initial_password(db: Session, user: User) -> str:
    """A random initial password that meets the policy; the first sign-in must replace it."""
    while True:
        words = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        password = f"{words}-{secrets.randbelow(90) + 10}"
        if not check_password(password, email=user.email, names=(user.full_name,)):
            break
    user.password_hash = hash_password(password)
    user.must_change_password = True
    return password
