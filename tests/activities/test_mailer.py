"""Email against a real SMTP server: aiosmtpd on loopback, plain and with STARTTLS (a self-signed
certificate made here) and a login; the Message-ID stays the same when a delivery is retried
after a hand-over whose result was never recorded; and the outbox sweep, on a shortened
schedule, delivers an email queued while Temporal was unreachable."""

from __future__ import annotations

import datetime as dt
import ipaddress
import smtplib
import socket
import ssl
import uuid
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from temporalio.testing import ActivityEnvironment

from workflows.outbox_contracts import DeliverMessage
from activities.messaging import MessagingActivities
from api.accounts.messages import deliver
from connect.mailer import Email, SmtpEmailSender
from connect.settings import EmailBackend
from connect.schedules import ensure_outbox_sweep
from models.messages.tables import HELD, OutboxMessage
from tests.factories import eventually
from tests.fakes import RecordingSmsSender, UnreachableTemporal, queue_test_email
from workflows.outbox_contracts import OUTBOX_SWEEP_SCHEDULE_ID


class Inbox:
    """The aiosmtpd handler: keeps what it was given, with the session's TLS and login state."""

    def __init__(self) -> None:
        self.received: list[SimpleNamespace] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(SimpleNamespace(
            sender=envelope.mail_from, to=list(envelope.rcpt_tos), message=message_from_bytes(envelope.content),
            tls=session.ssl is not None, login=getattr(session.auth_data, "login", None) if session.authenticated else None))
        return "250 Message accepted"

    def message_ids(self) -> list[str]:
        return [r.message["Message-ID"] for r in self.received]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _self_signed(tmp: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return context


def _check_login(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"connect" and auth_data.password == b"s3cret-mail"
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@pytest.fixture
def smtp_server():
    """Starts aiosmtpd on loopback; ``start(**smtp_options)`` returns (inbox, port)."""
    controllers = []

    def start(**options) -> tuple[Inbox, int]:
        inbox, port = Inbox(), _free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


def _smtp_settings(settings, port: int, **changes):
    return settings.model_copy(update={"email_backend": EmailBackend.SMTP, "smtp_host": "127.0.0.1",
                                       "smtp_port": port, "email_from": "CONNECT <no-reply@connect.mt.gov>",
                                       **changes})


def test_plain_smtp_hands_the_email_over_with_its_stable_message_id(smtp_server, settings):
    inbox, port = smtp_server()
    sender = SmtpEmailSender(_smtp_settings(settings, port))
    provider_id = sender.send(Email(to="ada@example.org", subject="Referral 12 sent", text="Open CONNECT.",
                                    message_key="outbox-7.1700000000"))
    [got] = inbox.received
    assert provider_id == got.message["Message-ID"] == "<outbox-7.1700000000@connect.mt.gov>"
    assert got.sender == "no-reply@connect.mt.gov" and got.to == ["ada@example.org"]
    assert got.message["Subject"] == "Referral 12 sent" and "Open CONNECT." in got.message.get_payload()
    assert not got.tls
    # Without a key (mail not from the outbox) every email gets a fresh id.
    sender.send(Email(to="ada@example.org", subject="x", text="y"))
    assert inbox.message_ids()[1] not in (None, provider_id)


def test_starttls_and_login(smtp_server, settings, tmp_path):
    inbox, port = smtp_server(tls_context=_self_signed(tmp_path), require_starttls=True, auth_required=True,
                              authenticator=_check_login)
    good = _smtp_settings(settings, port, smtp_starttls=True, smtp_username="connect", smtp_password="s3cret-mail")
    SmtpEmailSender(good).send(Email(to="gk@example.org", subject="Referral 3 assigned", text="Open CONNECT."))
    [got] = inbox.received
    assert got.tls and got.login == b"connect"
    # A wrong password fails the hand-over (the activity retries it) and nothing is accepted.
    with pytest.raises(smtplib.SMTPAuthenticationError):
        SmtpEmailSender(good.model_copy(update={"smtp_password": "wrong"})).send(
            Email(to="gk@example.org", subject="x", text="y"))
    # The server requires STARTTLS: without it nothing goes through.
    with pytest.raises(smtplib.SMTPException):
        SmtpEmailSender(_smtp_settings(settings, port)).send(Email(to="gk@example.org", subject="x", text="y"))
    assert len(inbox.received) == 1


class KilledAfterHandOver:
    """The real SMTP sender, whose first hand-over "dies" after the server took the message and
    before the activity could record it (as a worker killed at that moment)."""

    def __init__(self, inner: SmtpEmailSender):
        self._inner, self.calls = inner, 0

    def send(self, email: Email) -> str | None:
        self.calls += 1
        message_id = self._inner.send(email)
        if self.calls == 1:
            raise ConnectionResetError("worker killed")
        return message_id


async def test_a_retried_hand_over_is_counted_and_keeps_one_message_id(db, session_factory, settings, smtp_server):
    inbox, port = smtp_server()
    outbox_id = queue_test_email(db, "twice@example.org")
    activities = MessagingActivities(session_factory, KilledAfterHandOver(SmtpEmailSender(_smtp_settings(settings, port))),
                                     RecordingSmsSender())
    with pytest.raises(ConnectionResetError):
        await ActivityEnvironment().run(activities.deliver_message, DeliverMessage(outbox_id))
    db.expire_all()
    row = db.get(OutboxMessage, outbox_id)
    assert row.attempts == 1 and row.last_attempt_at is not None and row.status == "queued"
    assert await ActivityEnvironment().run(activities.deliver_message, DeliverMessage(outbox_id)) == "sent"
    db.expire_all()
    row = db.get(OutboxMessage, outbox_id)
    first, second = inbox.message_ids()
    assert first == second == row.provider_id  # the recipient's mail client sees one message
    assert row.attempts == 2 and row.status == "sent"
    # A third run (Temporal retrying after success) hands nothing over and counts nothing.
    assert await ActivityEnvironment().run(activities.deliver_message, DeliverMessage(outbox_id)) == "sent"
    db.expire_all()
    assert db.get(OutboxMessage, outbox_id).attempts == 2 and len(inbox.received) == 2


async def test_the_sweep_delivers_mail_queued_while_temporal_was_down(db, session_factory, settings, temporal_client,
                                                                     smtp_server):
    from worker import build_worker

    inbox, port = smtp_server()
    smtp = _smtp_settings(settings, port, temporal_task_queue=f"connect-smtp-{uuid.uuid4().hex[:8]}")
    outbox_id = queue_test_email(db, "invited@example.org")
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
        temporal=UnreachableTemporal(), settings=smtp, session_factory=session_factory)))
    await deliver(request, [outbox_id])
    db.expire_all()
    assert db.get(OutboxMessage, outbox_id).status == HELD

    # Temporal is back: the worker's schedule (every second here, five minutes in production).
    schedule = temporal_client.get_schedule_handle(OUTBOX_SWEEP_SCHEDULE_ID)
    try:
        await schedule.delete()  # another test's schedule, on another task queue
    except Exception:  # noqa: BLE001 - there was none
        pass
    async with build_worker(temporal_client, smtp, session_factory=session_factory):
        await ensure_outbox_sweep(temporal_client, smtp, every=timedelta(seconds=1))
        try:
            await eventually(lambda: inbox.received, timeout=30)
            await eventually(lambda: (db.expire_all(), db.get(OutboxMessage, outbox_id).status)[1] == "sent")
        finally:
            await schedule.delete()
    [got] = inbox.received
    assert got.to == ["invited@example.org"] and got.message["Subject"]
    assert db.get(OutboxMessage, outbox_id).provider_id == got.message["Message-ID"]


async def test_the_outbox_shows_a_message_handed_over_more_than_once(dev_client, db):
    from tests.factories import login, make_user

    client = dev_client  # the dev outbox exists in development only
    twice, once = queue_test_email(db, "twice@example.org"), queue_test_email(db, "once@example.org")
    db.get(OutboxMessage, twice).attempts = 2
    db.get(OutboxMessage, once).attempts = 1
    user = make_user(db, state_team=True)  # the state team reads every message of the outbox
    db.commit()
    await login(client, user.email)
    page = await client.get("/outbox?channel=email")
    assert page.status_code == 200
    assert page.text.count('data-testid="outbox-attempts"') == 1
    assert "handed over 2 times: the recipient may have it more than once" in page.text
