"""SMS backends: the dev outbox (read and answered in the web UI) and Twilio."""

from __future__ import annotations

from typing import Protocol

from twilio.http import HttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client as TwilioClient

from connect.settings import Settings, SmsBackend


class SmsSender(Protocol):
    """Sends one text; returns the provider's message id (None for the outbox)."""

    from_number: str

    def send(self, to: str, body: str) -> str | None: ...


class OutboxSmsSender:
    from_number = "+14065550100"

    def send(self, to: str, body: str) -> str | None:
        return None


class TwilioSmsSender:
    def __init__(self, settings: Settings, http_client: HttpClient | None = None):
        self.from_number = settings.twilio_from_number
        self._client = TwilioClient(
            settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client
        )

    def send(self, to: str, body: str) -> str | None:
        message = self._client.messages.create(to=to, from_=self.from_number, body=body)
        return message.sid


def sms_sender(settings: Settings, http_client: HttpClient | None = None) -> SmsSender:
    if settings.sms_backend is SmsBackend.TWILIO:
        return TwilioSmsSender(settings, http_client)
    return OutboxSmsSender()


def twilio_signature_valid(settings: Settings, url: str, params: dict[str, str], signature: str) -> bool:
    """Checks `X-Twilio-Signature` against the URL Twilio was configured to call."""
    return RequestValidator(settings.twilio_auth_token).validate(url, params, signature)
