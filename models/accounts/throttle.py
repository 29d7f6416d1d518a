"""Sign-in throttling by account and by address, from the pure rule in domain.passwords."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from domain.passwords import THROTTLE_FREE_FAILURES, THROTTLE_WINDOW, throttle_delay
from models.accounts.tables import LoginFailure


def keys_for(email: str, address: str) -> list[str]:
    return [f"account:{email.strip().lower()}", f"address:{address}"]


def wait_needed(db: Session, keys: list[str], now: datetime,
                free: dict[str, int] | None = None) -> timedelta:
    """How long the caller must still wait before another attempt (zero if none); ``free`` gives
    some keys more attempts before they wait."""
    longest = timedelta(0)
    for key in keys:
        rows = db.execute(
            select(func.count(), func.max(LoginFailure.at)).where(
                LoginFailure.key == key, LoginFailure.at > now - THROTTLE_WINDOW
            )
        ).one()
        count, last = rows
        if count and last is not None:
            if last.tzinfo is None:  # SQLite aggregates come back naive
                last = last.replace(tzinfo=timezone.utc)
            remaining = last + throttle_delay(count, (free or {}).get(key, THROTTLE_FREE_FAILURES)) - now
            longest = max(longest, remaining)
    return longest


def record_failure(db: Session, keys: list[str], now: datetime) -> None:
    for key in keys:
        db.add(LoginFailure(key=key, at=now))


def clear(db: Session, keys: list[str]) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))
