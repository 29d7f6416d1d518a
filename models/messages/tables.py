"""Bell notifications and the message outbox (email and SMS, both directions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Select, String, Text, exists, false, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from domain.accounts import AdminScope
from models.accounts.tables import Membership
from models.base import Base, utcnow
from models.agencies.tables import Program


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(500))
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(160), unique=True)


class OutboxMessage(Base):
    """Every email and SMS CONNECT sent or received, whatever the backend.

    With the `outbox` backends this is where messages end up; with Twilio and SMTP it is the
    record of what was handed over (status and provider id).
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_channel_created", "channel", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(5))  # email | sms
    direction: Mapped[str] = mapped_column(String(3), default="out")  # out | in
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    from_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    # For a message carrying a one-time secret (an ROI security code): the body to keep once a
    # real provider has taken it, so the secret does not stay in the database. The dev outbox
    # keeps the full body, because there the row is the delivery.
    body_after_send: Mapped[str | None] = mapped_column(Text)
    # Whom the dev outbox shows the row to (models.messages.tables.outbox_query): an email belongs to the
    # account it was written to, a text to the program that sent it (or whose client answered).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("program.id"))
    # Each hand-over to the backend is counted before it is made, so a worker killed after the
    # provider took the message but before the row said "sent" shows up as attempts > 1: the
    # record says the recipient may have it twice (with SMTP the Message-ID stays the same).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_attempt_at: Mapped[datetime | None]


# An outbox row whose delivery could not be started (Temporal unreachable when the API queued it):
# the outbox sweep (workflows.outbox.SweepHeldOutboxWorkflow) hands it over later.
QUEUED, HELD = "queued", "held"


def hold_messages(db: Session, outbox_ids: list[int]) -> None:
    """Marks queued messages whose delivery did not start, so the sweep finds them."""
    db.execute(update(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids), OutboxMessage.status == QUEUED)
               .values(status=HELD))


def claim_held_messages(db: Session, limit: int) -> list[int]:
    """Up to ``limit`` held messages, oldest first, queued again for the caller to deliver.

    The claim and the status change are one transaction (``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL), so two sweeps at once never deliver the same message twice."""
    ids = list(db.scalars(select(OutboxMessage.id).where(OutboxMessage.status == HELD)
                          .order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)))
    if ids:
        db.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(status=QUEUED))
    return ids


def program_of_texts(db: Session, phone: str) -> int | None:
    """The program that last texted ``phone`` (whose conversation a new text from it joins)."""
    return db.scalar(select(OutboxMessage.program_id)
                     .where(OutboxMessage.channel == "sms", OutboxMessage.direction == "out",
                            OutboxMessage.to_address == phone, OutboxMessage.program_id.is_not(None))
                     .order_by(OutboxMessage.id.desc()).limit(1))


def outbox_query(scope: AdminScope | None, user_id: int, program_id: int | None) -> Select[tuple[OutboxMessage]]:
    """The dev outbox rows a person may read (and, for texts, answer as the client), newest first.

    - The state team reads everything.
    - An administrator (``scope``) reads the texts of programs in their regions and the emails of
      people who work in a program of their regions.
    - Staff read the texts of the program they act as (``program_id``: the security codes they
      type in, the replies they simulate) and their own emails, except those that carry a
      set-password or reset link or an initial password: those give an account away, so only an
      administrator of the person's region sees them.
    Rows of no program and no account (a text from an unknown number) are the state team's.
    """
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if scope is not None and scope.state_team:
        return stmt
    is_text, is_email = OutboxMessage.channel == "sms", OutboxMessage.channel == "email"
    allowed = [is_email & (OutboxMessage.user_id == user_id) & OutboxMessage.body_after_send.is_(None)]
    if program_id is not None:
        allowed.append(is_text & (OutboxMessage.program_id == program_id))
    if scope is not None and scope.regions:
        regions = sorted(scope.regions)
        allowed.append(is_text & exists(select(Program.id).where(
            Program.id == OutboxMessage.program_id, Program.region.in_(regions))))
        allowed.append(is_email & exists(select(Membership.id).join(Program).where(
            Membership.user_id == OutboxMessage.user_id, Program.region.in_(regions))))
    return stmt.where(or_(false(), *allowed))
