"""Releases of information: projection of the ROI workflow, plus its evidence."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, Integer, String, Text, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.roi import RoiState
from models.base import Base, utcnow


class ReleaseOfInformation(Base):
    __tablename__ = "roi"
    __table_args__ = (Index("ix_roi_client_state", "client_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    sending_program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    created_by_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    state: Mapped[str] = mapped_column(String(20), default="draft")  # domain.roi.RoiState

    information_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(Text, default="")
    authorizer_kind: Mapped[str] = mapped_column(String(20), default="self")
    authorizer_name: Mapped[str] = mapped_column(String(200), default="")
    authorizer_relationship: Mapped[str] = mapped_column(String(100), default="")

    signature_method: Mapped[str | None] = mapped_column(String(10))  # domain.roi.SignatureMethod
    signature_name: Mapped[str] = mapped_column(String(200), default="")
    signature_phone: Mapped[str] = mapped_column(String(16), default="")
    signed_at: Mapped[datetime | None]
    expires_on: Mapped[date | None] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    revoked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    # The rendered authorisation text the client agreed to, and its SHA-256, as evidence.
    rendered_text: Mapped[str] = mapped_column(Text, default="")
    text_sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    programs: Mapped[list["RoiProgram"]] = relationship(cascade="all, delete-orphan")
    attachments: Mapped[list["RoiAttachment"]] = relationship(order_by="RoiAttachment.id")


class RoiProgram(Base):
    """A program covered by the ROI (the sending program is always one of them)."""

    __tablename__ = "roi_program"
    __table_args__ = (Index("ix_roi_program_program", "program_id", "roi_id"),)

    roi_id: Mapped[int] = mapped_column(ForeignKey("roi.id", ondelete="CASCADE"), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), primary_key=True)


class RoiSmsCode(Base):
    """A security code texted to the client; stored only as an HMAC."""

    __tablename__ = "roi_sms_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    roi_id: Mapped[int] = mapped_column(ForeignKey("roi.id"), index=True)
    code_hmac: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]
    # The workflow step that issued the code, so a retried activity never texts a second code.
    idempotency_key: Mapped[str | None] = mapped_column(String(160), unique=True)


class RoiAttachment(Base):
    """A scanned, physically signed ROI (PDF), stored outside the web root."""

    __tablename__ = "roi_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    roi_id: Mapped[int] = mapped_column(ForeignKey("roi.id"), index=True)
    storage_path: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_by_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    deleted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class InboundSms(Base):
    """A text received from Twilio (or typed in the dev outbox), stored before it is acted on."""

    __tablename__ = "inbound_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(16), index=True)
    body: Mapped[str] = mapped_column(String(1600))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    roi_id: Mapped[int | None] = mapped_column(ForeignKey("roi.id"))
    outcome: Mapped[str] = mapped_column(String(40), default="received")


def valid_on(today: date) -> ColumnElement[bool]:
    """The condition on ``ReleaseOfInformation`` under which an ROI lets its programs share on
    ``today``: signed, not revoked, and ``today`` before ``expires_on`` (``domain.roi.is_roi_valid``
    says the same of one ROI in memory). Every query of valid ROIs uses this."""
    return and_(
        ReleaseOfInformation.state == RoiState.SIGNED.value,
        ReleaseOfInformation.revoked_at.is_(None),
        ReleaseOfInformation.expires_on > today,
    )

