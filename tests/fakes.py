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


class UnreachableTemporal:
    """Stands in for the app's Temporal holder while Temporal is down."""

    async def get(self):
        raise RuntimeError("Failed client connect: Temporal is down")


def queue_test_email(db, to: str) -> int:
    """A committed, queued password-link email to ``to``; its outbox id."""
    from models.messages.notices import queue_email

    outbox_id = queue_email(db, to=to, from_address="connect@example.org", template="password_reset",
                            context={"user": {"full_name": "Ada"}, "expires_in": "1 hour",
                                     "link": "http://x/password/reset/T"}, key=f"k-{to}")
    db.commit()
    return outbox_id
