"""The bell: a person's notifications, newest first, and marking them read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from models.messages.tables import Notification


def notifications_query(user_id: int, *, unread_only: bool = False,
                        since: datetime | None = None) -> Select[tuple[Notification]]:
    """A person's notifications, newest first; ``since``: only those created or read since then."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if since is not None:
        stmt = stmt.where(or_(Notification.created_at >= since, Notification.read_at >= since))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(db: Session, user_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def own_notification(db: Session, user_id: int, notification_id: int) -> Notification | None:
    """The notification if it is the person's own (someone else's reads as missing)."""
    row = db.get(Notification, notification_id)
    return row if row is not None and row.user_id == user_id else None


def mark_read(row: Notification, now: datetime) -> None:
    if row.read_at is None:
        row.read_at = now


def mark_all_read(db: Session, user_id: int, now: datetime) -> int:
    """Marks every unread notification of the person read; returns how many."""
    result = db.execute(update(Notification)
                        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
                        .values(read_at=now))
    return result.rowcount or 0
