"""Delivering queued emails and texts through the configured backends."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from workflows.outbox_contracts import DeliverMessage, MessagingActivitiesContract
from connect.mailer import Email, EmailSender, outbox_message_key
from connect.sms import SmsSender
from models.base import utcnow
from models.db import transaction
from models.messages.tables import OutboxMessage, claim_held_messages
from workflows.outbox_contracts import SweepOutbox

DONE = {"sent", "delivered"}


class MessagingActivities(MessagingActivitiesContract):
    def __init__(self, session_factory: sessionmaker[Session], email: EmailSender, sms: SmsSender):
        self._db = session_factory
        self._email = email
        self._sms = sms

    @activity.defn
    async def claim_held_messages(self, request: SweepOutbox) -> list[int]:
        """The held messages (their delivery never started), queued again for this sweep."""

        def claim() -> list[int]:
            with transaction(self._db) as db:
                return claim_held_messages(db, request.limit)

        return await asyncio.to_thread(claim)

    @activity.defn
    async def deliver_message(self, request: DeliverMessage) -> str:
        """Sends one outbox message once; a retry after success does nothing.

        The attempt is recorded (count and time) in its own transaction *before* the hand-over,
        so a worker killed between the provider taking the message and the row saying "sent"
        leaves ``attempts`` > 1 on the retry: the record shows the recipient may have it twice.
        Email keeps one Message-ID per row across attempts; Twilio's Messages API takes no
        idempotency key, so for a text the count is what there is."""

        def start_attempt() -> OutboxMessage | None:
            with transaction(self._db) as db:
                row = db.get(OutboxMessage, request.outbox_id)
                if row is not None and row.status not in DONE:
                    row.attempts += 1
                    row.last_attempt_at = utcnow()
                if row is not None:
                    db.flush()
                    db.expunge(row)
                return row

        row = await asyncio.to_thread(start_attempt)
        if row is None:
            return "missing"
        if row.status in DONE:
            return row.status
        if row.channel == "email":
            provider_id = await asyncio.to_thread(self._email.send, Email(
                to=row.to_address, subject=row.subject, text=row.body,
                message_key=outbox_message_key(row.id, row.created_at)))
        else:
            provider_id = await asyncio.to_thread(self._sms.send, row.to_address, row.body)
        status = "sent" if provider_id else "delivered"

        def mark() -> None:
            with transaction(self._db) as db:
                msg = db.get(OutboxMessage, request.outbox_id)
                msg.status = status
                msg.provider_id = provider_id
                if status == "sent" and msg.body_after_send is not None:
                    msg.body = msg.body_after_send

        await asyncio.to_thread(mark)
        return status
