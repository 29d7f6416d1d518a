"""Delivering messages: a password link leaves no usable secret in the outbox once a real backend
has the email; the dev outbox keeps it, since there the row is the delivery."""

from __future__ import annotations

import pytest
from temporalio.testing import ActivityEnvironment

from workflows.outbox_contracts import DeliverMessage
from activities.messaging import MessagingActivities
from models.messages.notices import REDACTED, queue_email
from models.messages.tables import OutboxMessage
from tests.fakes import RecordingEmailSender, RecordingSmsSender


class ProviderEmailSender:
    def __init__(self):
        self.sent = []

    def send(self, email):
        self.sent.append(email)
        return f"<msg-{len(self.sent)}@smtp>"


@pytest.mark.parametrize(("sender", "redacted"), [(ProviderEmailSender, True), (None, False)])
async def test_secret_emails_are_blanked_after_a_real_delivery(db, session_factory, sender, redacted):
    email = sender() if sender else RecordingEmailSender()
    outbox_id = queue_email(db, to="a@example.org", from_address="c@example.org", template="password_reset",
                            context={"user": {"full_name": "A"}, "expires_in": "1 hour",
                                     "link": "http://x/password/reset/SECRET"},
                            key="k1", redact_after_send=True)
    db.commit()
    activities = MessagingActivities(session_factory, email, RecordingSmsSender())
    await ActivityEnvironment().run(activities.deliver_message, DeliverMessage(outbox_id))
    assert "SECRET" in email.sent[0].text
    db.expire_all()
    row = db.get(OutboxMessage, outbox_id)
    assert (row.body == REDACTED) is redacted
    assert ("SECRET" in row.body) is (not redacted)
