"""The audit trail: who did what to which record, acting as which program."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("program.id"))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(40))
    # Never client data: field names, ids and reasons only.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    # Idempotency key (e.g. a Temporal update id) so a retried activity writes once.
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)


def record(
    session: Session,
    *,
    action: str,
    entity_type: str,
    entity_id: object,
    user_id: int | None = None,
    program_id: int | None = None,
    idempotency_key: str | None = None,
    **detail,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        user_id=user_id,
        program_id=program_id,
        detail=detail,
        idempotency_key=idempotency_key,
    )
    session.add(event)
    return event


def record_client_view(
    session: Session, *, client_id: int, user_id: int | None, program_id: int | None, via: str,
    **detail,
) -> AuditEvent:
    """The one audit record of a read of a client's details: every answer that shows them (page or
    JSON) writes exactly one, naming the actor, the program and the client. ``via`` says which."""
    return record(session, action="client.viewed", entity_type="client", entity_id=client_id,
                  user_id=user_id, program_id=program_id, via=via, **detail)
