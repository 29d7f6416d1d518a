"""Delivering queued emails and texts through the configured backends."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.contracts import DeliverMessage
from connect.mailer import Email, EmailSender
from connect.sms import SmsSender
from models.db import transaction
from models.messages import OutboxMessage


REDACTED = "(Removed after delivery: this email held a password link or an initial password.)"


class MessagingActivities:
    def __init__(self, session_factory: sessionmaker[Session], email: EmailSender, sms: SmsSender):
        self._db = session_factory
        self._email = email
        self._sms = sms

    @activity.defn
    async def deliver_message(self, request: DeliverMessage) -> str:
        """Sends one outbox message once; a retry after success does nothing."""

        def load() -> OutboxMessage | None:
            with self._db() as db:
                return db.get(OutboxMessage, request.outbox_id)

        row = await asyncio.to_thread(load)
        if row is None:
            return "missing"
        if row.status in {"sent", "delivered"}:
            return row.status
        if row.channel == "email":
            provider_id = await asyncio.to_thread(
                self._email.send, Email(to=row.to_address, subject=row.subject, text=row.body)
            )
        else:
            provider_id = await asyncio.to_thread(self._sms.send, row.to_address, row.body)
        status = "sent" if provider_id else "delivered"

        def mark() -> None:
            with transaction(self._db) as db:
                msg = db.get(OutboxMessage, request.outbox_id)
                msg.status = status
                msg.provider_id = provider_id
                # With the dev outbox backend the row is the delivery, so it keeps its body.
                if msg.redact_after_send and provider_id:
                    msg.body = REDACTED

        await asyncio.to_thread(mark)
        return status
