"""Workflow starts owed to rows the API created: a draft ROI's `roi-<id>`, a pending referral's
`referral-<id>`.

The row and its expected start are written in one transaction; the API clears the expectation
once the start succeeded. If Temporal could not be reached (or the process died in between) the
expectation stays, and the recovery sweep (connect.recovery) starts the workflow, idempotently,
or reports the row when it no longer needs one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow

ROI, REFERRAL = "roi", "referral"


class WorkflowStart(Base):
    __tablename__ = "workflow_start"
    __table_args__ = (UniqueConstraint("kind", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # roi | referral
    entity_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def expect_start(db: Session, kind: str, entity_id: int) -> None:
    """Notes, in the caller's transaction, that the row's workflow must be started."""
    db.add(WorkflowStart(kind=kind, entity_id=entity_id))


def mark_started(db: Session, kind: str, entity_ids: list[int]) -> None:
    if entity_ids:
        db.execute(delete(WorkflowStart).where(WorkflowStart.kind == kind, WorkflowStart.entity_id.in_(entity_ids)))


def owed_starts(db: Session, created_before: datetime, limit: int) -> list[WorkflowStart]:
    """Expected starts older than ``created_before`` (younger ones may still be under way)."""
    return list(db.scalars(select(WorkflowStart).where(WorkflowStart.created_at < created_before)
                           .order_by(WorkflowStart.id).limit(limit)))
