"""Email backends: the dev outbox (read in the web UI) and real SMTP."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Protocol

from connect.settings import EmailBackend, Settings


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str = ""
    # The same for every attempt at one outbox row (see `outbox_message_key`), so a message
    # handed over twice (a worker killed between sending and recording it) carries one
    # Message-ID, and mail clients and servers that deduplicate by it show it once.
    message_key: str | None = None


def outbox_message_key(outbox_id: int, created_at: datetime) -> str:
    """The stable part of an outbox row's Message-ID: the row and its creation time (ids start
    again in a new database)."""
    return f"outbox-{outbox_id}.{int(created_at.timestamp())}"


class EmailSender(Protocol):
    """Hands one email over; returns the provider's message id (or None for the outbox)."""

    def send(self, email: Email) -> str | None: ...


class OutboxEmailSender:
    """Development backend: the outbox row written by the caller is the delivery."""

    def send(self, email: Email) -> str | None:
        return None


class SmtpEmailSender:
    def __init__(self, settings: Settings):
        self._s = settings

    def message_id(self, email: Email) -> str:
        """``<key@domain of the sender's address>``, or a fresh id for an email with no key."""
        domain = parseaddr(self._s.email_from)[1].rpartition("@")[2] or "connect"
        return f"<{email.message_key}@{domain}>" if email.message_key else make_msgid(domain=domain)

    def send(self, email: Email) -> str | None:
        msg = EmailMessage()
        msg["From"] = self._s.email_from
        msg["To"] = email.to
        msg["Subject"] = email.subject
        msg["Message-ID"] = self.message_id(email)
        msg.set_content(email.text)
        if email.html:
            msg.add_alternative(email.html, subtype="html")
        with smtplib.SMTP(self._s.smtp_host, self._s.smtp_port, timeout=30) as smtp:
            if self._s.smtp_starttls:
                smtp.starttls()
            if self._s.smtp_username:
                smtp.login(self._s.smtp_username, self._s.smtp_password)
            smtp.send_message(msg)
        return msg["Message-ID"]


def email_sender(settings: Settings) -> EmailSender:
    if settings.email_backend is EmailBackend.SMTP:
        return SmtpEmailSender(settings)
    return OutboxEmailSender()
