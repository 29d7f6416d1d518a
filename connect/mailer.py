"""Email backends: the dev outbox (read in the web UI) and real SMTP."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from connect.settings import EmailBackend, Settings


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str = ""


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

    def send(self, email: Email) -> str | None:
        msg = EmailMessage()
        msg["From"] = self._s.email_from
        msg["To"] = email.to
        msg["Subject"] = email.subject
        msg["Message-ID"] = make_msgid(domain="connect")
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
