"""Browser sessions and API tokens: start, resolve, end. No web framework here."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.accounts.credentials import new_token, token_hash
from domain.accounts import API_TOKEN_DAYS_DEFAULT, api_token_lifetime
from domain.errors import ValidationFailed
from models.accounts.tables import ApiToken, User, WebSession

TOKEN_PREFIX = "cnk"


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta


def start_session(db: Session, user: User, now: datetime, program_id: int | None) -> str:
    """A fresh session (new id at every login); returns the cookie token."""
    token = new_token()
    db.add(
        WebSession(
            token_hash=token_hash(token),
            user_id=user.id,
            program_id=program_id,
            csrf_token=new_token(24),
            created_at=now,
            last_seen_at=now,
        )
    )
    return token


def resolve_session(db: Session, token: str, now: datetime, limits: SessionLimits) -> WebSession | None:
    row = db.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > limits.idle or now - row.created_at > limits.absolute:
        row.ended_at = now
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    # Touch at most once a minute so every page view is not a write.
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
    return row


def end_session(db: Session, session: WebSession, now: datetime) -> None:
    session.ended_at = now


def end_all_sessions(db: Session, user_id: int, now: datetime, *, keep: int | None = None) -> None:
    stmt = update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep)
    db.execute(stmt.values(ended_at=now))


def create_api_token(
    db: Session, user: User, name: str, program_id: int | None, now: datetime,
    lifetime: timedelta = timedelta(days=API_TOKEN_DAYS_DEFAULT),
) -> tuple[ApiToken, str]:
    """Returns the row and the full secret, which is shown once and never stored."""
    # Hex, not URL-safe base64: the prefix must not contain "_", the separator of the token's parts.
    prefix = secrets.token_hex(4)
    secret = new_token()
    row = ApiToken(
        user_id=user.id,
        name=name,
        prefix=prefix,
        token_hash=token_hash(secret),
        program_id=program_id,
        created_at=now,
        expires_at=now + lifetime,
    )
    db.add(row)
    return row, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def resolve_api_token(db: Session, presented: str, now: datetime) -> ApiToken | None:
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    row = db.scalar(select(ApiToken).where(ApiToken.prefix == parts[1]))
    if row is None or row.revoked_at is not None or row.token_hash != token_hash(parts[2]):
        return None
    if row.expires_at <= now:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return row


def revoke_all_tokens(db: Session, user_id: int, now: datetime) -> None:
    db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def renew_session(db: Session, old: WebSession, user: User, now: datetime) -> str:
    """Ends ``old`` and starts a new session acting as the same program (a new id after a change
    of password or of privileges); returns the new cookie token."""
    old.ended_at = now
    return start_session(db, user, now, old.program_id)


def user_tokens(db: Session, user_id: int) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                           .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())))


def issue_api_token(db: Session, user: User, name: str, program_id: int | None,
                    now: datetime, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """A personal token, named, optionally limited to one of the person's programs, working for
    ``expires_in_days`` (domain.accounts.api_token_lifetime)."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("Name the token after what will use it, such as \"EHR export\".",
                               field="name")
    if len(name) > 100:
        raise ValidationFailed("Keep the token's name under 100 characters.", field="name")
    if program_id is not None and all(m.program_id != program_id for m in user.memberships):
        raise ValidationFailed("You do not have access to that agency/program; choose one of yours.",
                               field="program_id", code="not_a_member")
    return create_api_token(db, user, name, program_id, now, api_token_lifetime(expires_in_days))


def revoke_token(token: ApiToken, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
