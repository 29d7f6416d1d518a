"""Composing notifications inside an activity's transaction: bell rows plus queued emails.

The emails are only queued here (an outbox row); `deliver_message` hands each to the configured
backend in its own activity, so a slow mail server never holds a database transaction and a
retried delivery never sends twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents.emails import render_email
from domain.mou import is_mou_valid
from domain.notices import told_of_action
from models.accounts.tables import User
from models.messages.tables import Notification, OutboxMessage
from models.agencies.tables import Program

REDACTED = "(Removed after delivery: this email held a password link or an initial password.)"


def queue_email(
    db: Session, *, to: str, from_address: str, template: str, context: dict, key: str,
    redact_after_send: bool = False, user_id: int | None = None,
) -> int | None:
    """Queues one email once per key; returns the outbox id to deliver (None if already queued).

    ``redact_after_send`` for emails carrying a secret (a password link): the body is replaced
    by REDACTED once a real backend has taken the message (the dev outbox keeps it, since there
    the row is the delivery, and shows it only to administrators of the person's regions).
    ``user_id`` is the account the email is about (default: the account using ``to``)."""
    if db.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)):
        return None
    subject, body = render_email(template, context)
    if user_id is None:
        user_id = db.scalar(select(User.id).where(User.email == to))
    row = OutboxMessage(
        channel="email", to_address=to, from_address=from_address, subject=subject, body=body,
        idempotency_key=key, body_after_send=REDACTED if redact_after_send else None,
        user_id=user_id,
    )
    db.add(row)
    db.flush()
    return row.id


def notify_users(
    db: Session,
    user_ids: Iterable[int],
    *,
    kind: str,
    text: str,
    link: str,
    key: str,
    actor_id: int | None,
    email_template: str | None = None,
    context: dict | None = None,
    public_url: str = "",
    from_address: str = "",
) -> list[int]:
    """A bell entry for each active user, plus an email if a template is given.

    ``actor_id`` is the person whose action this tells of (None when nobody acted: a timer, the
    system): nobody is told about their own action. Idempotent on `key` (one row per user and
    key). Returns outbox ids to deliver.
    """
    to_deliver: list[int] = []
    for user in db.scalars(select(User).where(User.id.in_(told_of_action(user_ids, actor_id)), User.is_active)):
        user_key = f"{key}:u{user.id}"
        if not db.scalar(select(Notification.id).where(Notification.idempotency_key == user_key)):
            db.add(Notification(user_id=user.id, kind=kind, text=text, link=link,
                                idempotency_key=user_key))
        if email_template:
            ctx = {"user": user, "text": text, "link": f"{public_url}{link}", **(context or {})}
            outbox_id = queue_email(db, to=user.email, from_address=from_address,
                                    template=email_template, context=ctx, key=f"email:{user_key}",
                                    user_id=user.id)
            if outbox_id:
                to_deliver.append(outbox_id)
    return to_deliver


def ask_for_agency_mou(db: Session, user_id: int, program: Program, is_gatekeeper: bool, today: date) -> None:
    """A new gatekeeper of a program without a valid agency MOU finds the task in their bell
    (once per person, program and MOU), whether an administrator made them gatekeeper or they
    accepted an invitation to be one."""
    if is_gatekeeper and not is_mou_valid(program.mou_expires_on, today):
        notify_users(db, [user_id], kind="agency_mou", link=f"/agency/mou/{program.id}",
                     key=f"gatekeeper-mou-{user_id}-{program.id}-{program.mou_expires_on}",
                     actor_id=None,  # a task left for them, even when they gave themselves the role
                     text=f"You are a gatekeeper of {program.display_name}, whose agency MOU is not "
                          "signed: until you sign it, the program is hidden from the directory and "
                          "cannot receive referrals.")
