"""Referrals: projection of the referral workflow, its progress, call log and escalations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Referral(Base):
    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_client_receiving", "client_id", "receiving_program_id"),
        Index("ix_referral_receiving_state", "receiving_program_id", "state", "sent_at"),
        Index("ix_referral_sending_state", "sending_program_id", "state", "sent_at"),
        Index("ix_referral_provider", "assigned_provider_id", "state"),
        # Covering on PostgreSQL: the reports count and group a period's referrals by state,
        # status and program from the index alone (models/reports/queries.py).
        Index("ix_referral_sent_at", "sent_at", postgresql_include=[
            "state", "service_status", "sending_program_id", "receiving_program_id"]),
        # At most one pending, sent or assigned referral per client and receiving program.
        Index("uq_referral_open", "client_id", "receiving_program_id", unique=True,
              postgresql_where=text("state IN ('pending', 'sent', 'assigned')"),
              sqlite_where=text("state IN ('pending', 'sent', 'assigned')")),
        # The id names the workflow (`referral-<id>`): SQLite must never reuse one (PostgreSQL's
        # sequences never do).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    roi_id: Mapped[int] = mapped_column(ForeignKey("roi.id"), index=True)
    sending_program_id: Mapped[int] = mapped_column(ForeignKey("program.id"))
    receiving_program_id: Mapped[int] = mapped_column(ForeignKey("program.id"))
    sender_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    # System state (domain.referral_status.ReferralState) and the receiving side's service status.
    state: Mapped[str] = mapped_column(String(20), default="pending")
    service_status: Mapped[str | None] = mapped_column(String(60))
    assigned_provider_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    assigned_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    reason: Mapped[str] = mapped_column(Text, default="")  # reason for referral, in the sender's words
    form_data: Mapped[dict] = mapped_column(JSON, default=dict)  # the program's own tabs
    insurance_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    decline_reason: Mapped[str] = mapped_column(Text, default="")

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]  # first assignment
    first_contact_at: Mapped[datetime | None]  # first call-log entry
    enrolled_at: Mapped[datetime | None]  # first "Enrolled in Services"
    closed_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    nudged_at: Mapped[datetime | None]
    # Deadlines the workflow computed once, when the referral was sent (business days).
    nudge_due_at: Mapped[datetime | None]
    escalation_due_at: Mapped[datetime | None]

    progress: Mapped[list["ReferralProgress"]] = relationship(order_by="ReferralProgress.at")
    notes: Mapped[list["ReferralNote"]] = relationship(order_by="ReferralNote.contacted_at")
    client: Mapped["Client"] = relationship()  # noqa: F821
    sending_program: Mapped["Program"] = relationship(foreign_keys=[sending_program_id])  # noqa: F821
    receiving_program: Mapped["Program"] = relationship(foreign_keys=[receiving_program_id])  # noqa: F821
    sender: Mapped["User"] = relationship(foreign_keys=[sender_user_id])  # noqa: F821
    assignee: Mapped["User | None"] = relationship(foreign_keys=[assigned_provider_id])  # noqa: F821
    escalation: Mapped["Escalation | None"] = relationship(back_populates="referral", uselist=False)


class ReferralProgress(Base):
    """A status update or a progress entry over the weeks a service lasts."""

    __tablename__ = "referral_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(160), unique=True)

    user: Mapped["User"] = relationship()  # noqa: F821


class ReferralNote(Base):
    """A call-log entry: one attempt to contact the client."""

    __tablename__ = "referral_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    contacted_at: Mapped[datetime]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    method: Mapped[str] = mapped_column(String(20))  # domain.referral_status.ContactMethod
    outcome: Mapped[str] = mapped_column(String(20))  # domain.referral_status.ContactOutcome
    text: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(160), unique=True)

    user: Mapped["User"] = relationship()  # noqa: F821


class Escalation(Base):
    """An alert raised when no one acknowledged a referral in time; worked by escalation staff."""

    __tablename__ = "escalation"
    __table_args__ = (Index("ix_escalation_region_open", "region", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), unique=True)
    region: Mapped[int]
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    claimed_at: Mapped[datetime | None]
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str] = mapped_column(Text, default="")
    suggestions: Mapped[list[int]] = mapped_column(JSON, default=list)  # program ids on the client's ROIs

    comments: Mapped[list["EscalationComment"]] = relationship(order_by="EscalationComment.at")
    referral: Mapped[Referral] = relationship(back_populates="escalation")
    claimed_by: Mapped["User | None"] = relationship(foreign_keys=[claimed_by_user_id])  # noqa: F821
    resolved_by: Mapped["User | None"] = relationship(foreign_keys=[resolved_by_user_id])  # noqa: F821


class EscalationComment(Base):
    __tablename__ = "escalation_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalation.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    text: Mapped[str] = mapped_column(Text)

    user: Mapped["User"] = relationship()  # noqa: F821
