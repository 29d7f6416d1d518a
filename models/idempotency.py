"""Stored answers to keyed requests: a retry with the same `Idempotency-Key` gets the first answer.

A row is claimed (answer empty) before the request runs and filled with the answer once it
succeeded; a failed request gives its row up, so the caller may retry with the same key. The
unique (principal, key) pair makes two concurrent requests with one key have one winner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, Integer, LargeBinary, String, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime

KEY_LIFETIME = timedelta(hours=24)
"""How long a key's answer is kept (and the key cannot be used for another request)."""

IN_FLIGHT_LIMIT = timedelta(seconds=60)
"""A claim older than this whose request never answered (the server stopped) is given up. Longer
than any change CONNECT answers (its waits for workflow updates end after UPDATE_WAIT_SECONDS, 10 s
by default), short enough that a client retrying after a crash is not kept waiting for long."""


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("principal", "key", name="uq_idempotency_record_principal_key"),
                      Index("ix_idempotency_record_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    principal: Mapped[str] = mapped_column(String(40))  # "user:<id>" or "client:<id>"
    key: Mapped[str] = mapped_column(String(100))
    request: Mapped[str] = mapped_column(String(300))  # method and route, e.g. "POST /api/v1/roi"
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)  # None while the first request runs
    media_type: Mapped[str | None] = mapped_column(String(100))
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


@dataclass(frozen=True)
class Claimed:
    """This request holds the key: it runs, then `keep` or `give_up` its row."""

    record_id: int


@dataclass(frozen=True)
class Earlier:
    """The key was used before: what for, and its answer (`status` None while it still runs)."""

    request: str
    body_hash: str
    status: int | None
    media_type: str | None
    body: bytes | None
    record_id: int | None = None


def claim(db: Session, *, principal: str, key: str, request: str, body_hash: str,
          now: datetime) -> Claimed | Earlier:
    """Claims the key for this request, or returns the earlier use of it. Expired rows and
    abandoned claims are removed first, so their keys are free again."""
    db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - KEY_LIFETIME))
    db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.principal == principal,
                                               IdempotencyRecord.key == key,
                                               IdempotencyRecord.status.is_(None),
                                               IdempotencyRecord.created_at < now - IN_FLIGHT_LIMIT))
    db.commit()
    row = IdempotencyRecord(principal=principal, key=key, request=request, body_hash=body_hash, created_at=now)
    db.add(row)
    try:
        db.commit()
    except IntegrityError:  # used before, or a concurrent request holds it
        db.rollback()
        earlier = db.scalar(select(IdempotencyRecord).where(IdempotencyRecord.principal == principal,
                                                            IdempotencyRecord.key == key))
        if earlier is None:  # given up meanwhile: one more try
            return claim(db, principal=principal, key=key, request=request, body_hash=body_hash, now=now)
        return Earlier(earlier.request, earlier.body_hash, earlier.status, earlier.media_type,
                       earlier.response_body, earlier.id)
    return Claimed(row.id)


def keep(db: Session, claimed: Claimed, status: int, media_type: str | None, body: bytes) -> None:
    """Stores the answer of the request that held the key."""
    row = db.get(IdempotencyRecord, claimed.record_id)
    if row is not None:
        row.status, row.media_type, row.response_body = status, media_type, body
        db.commit()


RESUMABLE = 503
"""The status kept for a request that created its records but answered 503 (Temporal did not
confirm the workflow step in time): its body says what it created, and a retry with the key takes
the claim over (`take_over`) and finishes the work on those records instead of creating more."""


def keep_resumable(db: Session, claimed: Claimed, created: bytes) -> None:
    keep(db, claimed, RESUMABLE, "application/json", created)


def take_over(db: Session, record_id: int, now: datetime) -> bool:
    """Claims a resumable key again for its retry; False if another retry took it first."""
    taken = db.execute(update(IdempotencyRecord).where(IdempotencyRecord.id == record_id,
                                                       IdempotencyRecord.status == RESUMABLE)
                       .values(status=None, created_at=now)).rowcount
    db.commit()
    return taken == 1


def give_up(db: Session, claimed: Claimed) -> None:
    """Frees the key of a request that failed: a retry with it runs again."""
    db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == claimed.record_id))
    db.commit()
