"""The bell: a person's notifications, newest first, with an unread count and mark-as-read."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models.messages import Notification

PAGE_SIZE = 25


@dataclass
class NotificationPage:
    items: list[Notification]
    total: int
    unread: int
    page: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))


def unread_count(db: Session, user_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def notifications_of(db: Session, user_id: int, *, unread_only: bool = False, page: int = 1) -> NotificationPage:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, min(page, max(1, math.ceil(total / PAGE_SIZE))))
    items = db.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                       .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return NotificationPage(list(items), total, unread_count(db, user_id), page)


def mark_read(db: Session, user_id: int, notification_id: int, now: datetime) -> Notification | None:
    """Marks one of the person's notifications read; None if it is not theirs."""
    row = db.scalar(select(Notification).where(Notification.id == notification_id,
                                               Notification.user_id == user_id))
    if row is not None and row.read_at is None:
        row.read_at = now
    return row


def mark_all_read(db: Session, user_id: int, now: datetime) -> None:
    db.execute(update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
               .values(read_at=now))
