"""Webhooks: registered per program, events enqueued where a change is projected, posted by a
delivery workflow to a real HTTP server on loopback, signed per Standard Webhooks (checked with
the `standardwebhooks` package), retried then dead-lettered, and redelivered from the view."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from connect.webhook_dispatch import WebhookDispatcher
from domain.webhooks import WebhookEvent
from models.audit import AuditEvent
from models.base import utcnow
from models.webhooks import WebhookDelivery, WebhookEndpoint, enqueue_event, new_secret
from tests.factories import HTML, login, make_user
from tests.referral_network import COMPLETE_FORM, bearer, eventually, fresh_referral_ids, make_network
from tests.roi_support import COMPLETE_BODY, make_scene, signed_in
from tests.webhook_receiver import start_receiver
from workflows.webhook_contracts import WebhookPolicy

API = "/api/v1/webhooks"


@pytest.fixture
def receiver(db):
    # Delivery workflow ids are built from delivery ids, which start again in every test.
    fresh_referral_ids(db, "webhook_delivery")
    found, server = start_receiver()
    yield found
    server.shutdown()


def verified(secret: str, message) -> dict:
    """The payload, after the package's own check of the signature and timestamp."""
    return Webhook(secret).verify(message.body, message.headers)


async def register(client, headers, program, url) -> tuple[int, str]:
    answer = await client.post(API, headers=headers, json={"program_id": program.id, "url": url})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], answer.json()["secret"]


async def test_a_referral_journey_is_told_once_per_change_signed_and_without_client_data(client, db, receiver):
    net = make_network(db)
    gatekeeper = bearer(db, net.gatekeeper, net.receiving)
    _, secret = await register(client, gatekeeper, net.receiving, receiver.url)
    assert secret.startswith("whsec_")

    sent = await client.post("/api/v1/referrals", headers=bearer(db, net.sender, net.sending), json={
        "client_id": net.client.id, "receiving_program_id": net.receiving.id, "send": True,
        "insurance_confirmed": True, **COMPLETE_FORM})
    rid = sent.json()["id"]
    provider = bearer(db, net.provider, net.receiving)
    changes = [
        await client.post(f"/api/v1/referrals/{rid}/assign", json={"provider_id": net.provider.id},
                          headers=gatekeeper),
        await client.post(f"/api/v1/referrals/{rid}/status", json={"status": "Enrolled in Services"},
                          headers=provider),
        await client.post(f"/api/v1/referrals/{rid}/notes", headers=provider, json={
            "contacted_at": "2026-01-05T10:30:00", "method": "phone", "outcome": "left_message",
            "text": "Left a voicemail for Zelda"}),
    ]
    assert sent.status_code == 201 and [a.status_code for a in changes] == [200, 200, 200]
    expected = ["referral.sent", "referral.assigned", "referral.status_changed", "referral.note_added"]

    await eventually(lambda: len(receiver.messages) == len(expected))
    payloads = [verified(secret, m) for m in receiver.messages]
    assert sorted(p["type"] for p in payloads) == sorted(expected)
    assert {p["data"]["referral_id"] for p in payloads} == {rid}
    assert len({m.headers["webhook-id"] for m in receiver.messages}) == len(expected)
    assert all(m.headers["webhook-signature"].startswith("v1,") for m in receiver.messages)
    for m in receiver.messages:  # ids only: the receiver reads the referral through the API
        assert "Zelda" not in m.body and "Quartermaine" not in m.body and "voicemail" not in m.body
    tampered = receiver.messages[0]
    with pytest.raises(Exception):
        Webhook(secret).verify(tampered.body.replace(str(rid), str(rid + 1)), tampered.headers)

    def all_delivered() -> bool:
        db.expire_all()
        return {d.status for d in db.scalars(select(WebhookDelivery))} == {"delivered"}

    await eventually(all_delivered)


async def test_roi_signature_and_revocation_are_told_to_every_program_on_it(client, db, receiver):
    scene = make_scene(db)
    db.commit()
    _, secret = await register(client, bearer(db, scene.receiver_gatekeeper, scene.receiver), scene.receiver,
                               receiver.url)
    headers = await signed_in(client, scene)
    made = await client.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [scene.receiver.id]},
                             headers=headers)
    roi_id = made.json()["rois"][0]["id"]
    await client.post(f"/api/v1/roi/{roi_id}/complete", json=COMPLETE_BODY, headers=headers)
    signed = await client.post(f"/api/v1/roi/{roi_id}/sign/esign", headers=headers,
                               json={"typed_name": scene.client.full_name, "confirmed": True})
    assert signed.json()["state"] == "signed", signed.text
    revoked = await client.post(f"/api/v1/roi/{roi_id}/revoke", headers=headers,
                                json={"reason": "Client withdrew consent"})
    assert revoked.status_code == 200, revoked.text

    await eventually(lambda: len(receiver.messages) == 2)
    payloads = sorted((verified(secret, m) for m in receiver.messages), key=lambda p: p["type"])
    assert [p["type"] for p in payloads] == ["roi.revoked", "roi.signed"]
    assert all(p["data"]["roi_id"] == roi_id and scene.receiver.id in p["data"]["program_ids"] for p in payloads)
    assert all(scene.client.last_name not in m.body for m in receiver.messages)


async def test_a_failing_endpoint_is_retried_dead_lettered_then_redelivered(client, db, receiver, temporal_client,
                                                                            settings, session_factory):
    net = make_network(db)
    admin = make_user(db, "admin@example.org", state_team=True)
    db.commit()
    admin_h = bearer(db, admin, None)
    _, secret = await register(client, admin_h, net.receiving, receiver.url)
    receiver.status = 500
    deliveries = enqueue_event(db, key="test:escalated", kind=WebhookEvent.REFERRAL_ESCALATED, at=utcnow(),
                               program_ids=[net.receiving.id], data={"referral_id": 7})
    db.commit()
    short = WebhookPolicy(initial_interval_seconds=0.1, backoff_coefficient=2.0, maximum_interval_seconds=0.5,
                          maximum_attempts=3)
    assert await WebhookDispatcher(temporal_client, session_factory, settings.temporal_task_queue,
                                   short).dispatch() == 1
    delivery_id = deliveries[0].id

    def dead() -> bool:
        db.expire_all()
        return db.get(WebhookDelivery, delivery_id).status == "dead"

    await eventually(dead)
    row = db.get(WebhookDelivery, delivery_id)
    assert row.attempts == 3 and row.last_status_code == 500 and len(receiver.messages) == 3
    listed = (await client.get(f"{API}/deliveries?status=dead", headers=admin_h)).json()
    assert [d["id"] for d in listed] == [delivery_id] and listed[0]["last_error"] == "HTTP 500"
    csrf = await login(client, admin.email)
    page = await client.get("/webhooks", headers=HTML)
    assert f'data-testid="dead-{delivery_id}"' in page.text

    receiver.status = 200
    again = await client.post(f"/webhooks/deliveries/{delivery_id}/redeliver", headers=HTML,
                              data={"csrf_token": csrf})
    assert again.status_code == 303

    def delivered() -> bool:
        db.expire_all()
        return db.get(WebhookDelivery, delivery_id).status == "delivered"

    await eventually(delivered)
    assert len(receiver.messages) == 4
    ids = {m.headers["webhook-id"] for m in receiver.messages}
    assert len(ids) == 1  # the same event: a receiver that saw it before drops it
    assert verified(secret, receiver.messages[-1])["data"] == {"referral_id": 7}
    assert db.get(WebhookDelivery, delivery_id).round == 2
    refused = await client.post(f"{API}/deliveries/{delivery_id}/redeliver", headers=admin_h)
    assert refused.status_code == 409 and refused.json()["error"] == "not_dead_lettered"
    actions = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "webhook_delivery"))]
    assert actions == ["webhook.dead_lettered", "webhook.redelivered"]


async def test_who_registers_and_which_addresses(client, db):
    net = make_network(db)
    far_admin = make_user(db, "far@example.org", admin_regions=(net.receiving.region % 5 + 1,))
    db.commit()
    gatekeeper = bearer(db, net.gatekeeper, net.receiving)
    body = {"program_id": net.receiving.id, "url": "https://ehr.example.org/hooks"}
    for who in (bearer(db, net.provider, net.receiving), bearer(db, far_admin, None),
                bearer(db, net.sending_gatekeeper, net.sending)):
        answer = await client.post(API, headers=who, json=body)
        assert answer.status_code == 403, answer.text
    plain = await client.post(API, headers=gatekeeper, json={**body, "url": "http://ehr.example.org/hooks"})
    assert plain.status_code == 422 and plain.json()["field"] == "url"
    assert db.scalar(select(WebhookEndpoint.id)) is None
    ok = await client.post(API, headers=gatekeeper, json=body)
    assert ok.status_code == 201
    listed = (await client.get(API, headers=gatekeeper)).json()
    assert [e["url"] for e in listed] == [body["url"]] and "secret" not in listed[0]
    removed = await client.delete(f"{API}/{ok.json()['id']}", headers=gatekeeper)
    assert removed.json()["disabled_at"]
    # A removed endpoint gets no new events.
    assert enqueue_event(db, key="k", kind=WebhookEvent.REFERRAL_SENT, at=utcnow(),
                         program_ids=[net.receiving.id], data={}) == []


async def test_the_page_registers_and_shows_the_secret_once(client, db):
    net = make_network(db)
    csrf = await login(client, net.gatekeeper.email)
    page = await client.post("/webhooks", headers=HTML, data={
        "program_id": str(net.receiving.id), "url": "https://ehr.example.org/hooks", "csrf_token": csrf})
    assert page.status_code == 201, page.text
    secret = re.search(r'data-testid="webhook-secret">([^<]+)<', page.text).group(1)
    again = await client.get("/webhooks", headers=HTML)
    assert "https://ehr.example.org/hooks" in again.text and secret not in again.text
    bad = await client.post("/webhooks", headers=HTML, data={
        "program_id": str(net.receiving.id), "url": "ftp://x", "csrf_token": csrf})
    assert bad.status_code == 422 and 'data-testid="error-url"' in bad.text
    assert secret.startswith("whsec_")


@pytest.fixture
async def guarded_client(settings, session_factory, temporal_client, db):
    """The API with the guard on (as in production): internal addresses are refused."""
    import httpx

    from api.app import create_app

    guarded = settings.model_copy(update={"webhook_allow_internal_addresses": False})
    app = create_app(guarded, session_factory=session_factory, temporal_client=temporal_client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http


@pytest.mark.parametrize("url", ["https://127.0.0.1/hooks", "https://localhost:8443/hooks",
                                 "https://169.254.169.254/latest/meta-data", "https://10.0.0.5/hooks",
                                 "https://[::ffff:192.168.0.1]/hooks", "https://[::1]/hooks"])
async def test_an_address_inside_the_network_is_refused_at_registration(guarded_client, db, url):
    net = make_network(db)
    answer = await guarded_client.post(API, headers=bearer(db, net.gatekeeper, net.receiving),
                                       json={"program_id": net.receiving.id, "url": url})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "url" and answer.json()["error"] == "internal_address"
    assert db.scalar(select(WebhookEndpoint.id)) is None


async def test_a_public_address_is_accepted_with_the_guard_on(guarded_client, db):
    net = make_network(db)
    answer = await guarded_client.post(API, headers=bearer(db, net.gatekeeper, net.receiving),
                                       json={"program_id": net.receiving.id, "url": "https://8.8.8.8/hooks"})
    assert answer.status_code == 201, answer.text


async def test_an_address_that_now_points_inside_is_not_posted_to(db, session_factory, receiver, temporal_client):
    from temporalio.exceptions import ApplicationError
    from temporalio.testing import ActivityEnvironment

    from activities.webhooks import WebhookActivities
    from workflows.webhook_contracts import PostWebhook

    net = make_network(db)
    # Registered while it pointed elsewhere; it now resolves to this machine (the test receiver).
    db.add(WebhookEndpoint(program=net.receiving, url=receiver.url, secret=new_secret(), created_by=net.gatekeeper.id,
                           created_at=utcnow()))
    db.commit()
    [delivery] = enqueue_event(db, key="k-ssrf", kind=WebhookEvent.REFERRAL_SENT, at=utcnow(),
                               program_ids=[net.receiving.id], data={"referral_id": 1})
    db.commit()
    guarded = WebhookActivities(session_factory, WebhookDispatcher(temporal_client, session_factory, "unused",
                                                                   WebhookPolicy()), allow_internal_addresses=False)
    with pytest.raises(ApplicationError, match="internal network address"):
        await ActivityEnvironment().run(guarded.post_webhook, PostWebhook(delivery.id, delivery.round))
    assert receiver.messages == []
    db.expire_all()
    row = db.get(WebhookDelivery, delivery.id)
    assert row.attempts == 1 and "internal network address" in row.last_error and row.status == "queued"


async def test_an_unknown_delivery_status_is_refused_by_the_schema(client, db):
    net = make_network(db)
    answer = await client.get(f"{API}/deliveries?status=lost", headers=bearer(db, net.gatekeeper, net.receiving))
    assert answer.status_code == 422 and answer.json()["field"] == "status"
