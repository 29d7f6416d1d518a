"""Webhook endpoints, the event outbox, and each event's delivery to each endpoint.

An event is enqueued in the same transaction as the projection and audit row of the change it
tells (keyed by that change's idempotency key, so a retried activity enqueues it once); a
`WebhookDelivery` row per endpoint is then handed to its delivery workflow.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from domain.webhooks import SECRET_PREFIX, WebhookEvent, event_body, event_id
from models.base import Base, utcnow
from models.agencies.tables import Program

QUEUED, DELIVERED, DEAD = "queued", "delivered", "dead"


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Kept as given: CONNECT signs with it on every attempt, so it cannot be stored as a hash.
    secret: Mapped[str] = mapped_column(String(80))
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]

    program: Mapped[Program] = relationship()


class WebhookMessage(Base):
    """One event as it is posted: the body never changes, whatever the number of attempts."""

    __tablename__ = "webhook_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("message_id", "endpoint_id"),
                      Index("ix_webhook_delivery_status", "status", "started_at"),
                      # The id names the workflow (`webhook-delivery-<id>-<round>`): never reused.
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("webhook_message.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)  # queued | delivered | dead
    round: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]  # when its workflow was started (None: not yet)
    delivered_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]

    message: Mapped[WebhookMessage] = relationship()
    endpoint: Mapped[WebhookEndpoint] = relationship()


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def enqueue_event(db: Session, *, key: str, kind: WebhookEvent, at: datetime, program_ids: Iterable[int],
                  data: dict) -> list[WebhookDelivery]:
    """Queues ``kind`` for every live endpoint of ``program_ids`` (none: nothing is written)."""
    msg_id = event_id(key)
    if db.scalar(select(WebhookMessage.id).where(WebhookMessage.msg_id == msg_id)) is not None:
        return []
    endpoints = list(db.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.program_id.in_(set(program_ids)), WebhookEndpoint.disabled_at.is_(None))))
    if not endpoints:
        return []
    message = WebhookMessage(msg_id=msg_id, type=kind.value, body=event_body(kind, at, data), created_at=at)
    deliveries = [WebhookDelivery(message=message, endpoint=e, created_at=at) for e in endpoints]
    db.add_all(deliveries)
    return deliveries


def referral_event(db: Session, referral, kind: WebhookEvent, key: str, at: datetime) -> None:
    """A referral's change, told to the endpoints of its sending and its receiving program."""
    enqueue_event(db, key=key, kind=kind, at=at,
                  program_ids=(referral.sending_program_id, referral.receiving_program_id),
                  data={"referral_id": referral.id, "sending_program_id": referral.sending_program_id,
                        "receiving_program_id": referral.receiving_program_id, "state": referral.state})


def roi_event(db: Session, roi, program_ids: list[int], kind: WebhookEvent, key: str, at: datetime) -> None:
    """An ROI's change, told to the endpoints of every program on it."""
    enqueue_event(db, key=key, kind=kind, at=at, program_ids=program_ids,
                  data={"roi_id": roi.id, "sending_program_id": roi.sending_program_id,
                        "program_ids": program_ids, "state": roi.state})


def unstarted(db: Session, limit: int) -> list[WebhookDelivery]:
    return list(db.scalars(select(WebhookDelivery).where(
        WebhookDelivery.status == QUEUED, WebhookDelivery.started_at.is_(None))
        .order_by(WebhookDelivery.id).limit(limit)))


def deliveries_of(db: Session, program_ids: Iterable[int] | None, status: str | None = None,
                  limit: int = 200) -> list[WebhookDelivery]:
    """Recent deliveries of the endpoints of ``program_ids`` (None: every program), newest first."""
    stmt = (select(WebhookDelivery).join(WebhookEndpoint)
            .options(joinedload(WebhookDelivery.message),
                     joinedload(WebhookDelivery.endpoint).joinedload(WebhookEndpoint.program))
            .order_by(WebhookDelivery.id.desc()).limit(limit))
    if program_ids is not None:
        stmt = stmt.where(WebhookEndpoint.program_id.in_(list(program_ids)))
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    return list(db.scalars(stmt).unique())


def endpoints_of(db: Session, program_ids: Iterable[int] | None) -> list[WebhookEndpoint]:
    stmt = (select(WebhookEndpoint).options(joinedload(WebhookEndpoint.program))
            .order_by(WebhookEndpoint.disabled_at.is_not(None), WebhookEndpoint.id.desc()))
    if program_ids is not None:
        stmt = stmt.where(WebhookEndpoint.program_id.in_(list(program_ids)))
    return list(db.scalars(stmt).unique())
