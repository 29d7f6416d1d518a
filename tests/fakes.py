"""Test doubles for the message backends: they record what was handed to them."""

from __future__ import annotations

from connect.mailer import Email


class RecordingEmailSender:
    def __init__(self) -> None:
        self.sent: list[Email] = []

    def send(self, email: Email) -> str | None:
        self.sent.append(email)
        return None

    def to(self, address: str) -> list[Email]:
        return [e for e in self.sent if e.to == address]


class RecordingSmsSender:
    from_number = "+14065550100"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> str | None:
        self.sent.append((to, body))
        return None
