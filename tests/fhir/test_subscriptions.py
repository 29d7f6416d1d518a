"""Subscriptions (R5 Backport): what a Subscription must say, and a delivery the endpoint refuses
is retried by its workflow until it is accepted, under the same event number."""

from __future__ import annotations

import asyncio

from models.fhir.subscriptions import FhirSubscription
from tests.factories import eventually
from tests.fhir.smart_support import register_smart
from tests.fhir.test_ehr_loop import BACKPORT, TASK_TOPIC, notifications
from tests.fhir.test_task_updates import send_referral
from tests.referral_network import bearer, make_network
from tests.webhook_receiver import start_receiver


def subscription(endpoint: str, criteria: str = TASK_TOPIC, filter_: str | None = None, **channel) -> dict:
    body = {"resourceType": "Subscription", "status": "requested", "reason": "tests", "criteria": criteria,
            "channel": {"type": "rest-hook", "endpoint": endpoint, "payload": "application/fhir+json",
                        "_payload": {"extension": [{"url": f"{BACKPORT}/backport-payload-content",
                                                    "valueCode": "id-only"}]},
                        "extension": [{"url": f"{BACKPORT}/backport-heartbeat-period", "valueUnsignedInt": 60}],
                        **channel}}
    if filter_:
        body["_criteria"] = {"extension": [{"url": f"{BACKPORT}/backport-filter-criteria", "valueString": filter_}]}
    return body


async def test_what_a_subscription_must_say(fhir, db):
    net = make_network(db)
    cbo, _ = await register_smart(fhir, db, net.receiving, ["system/Subscription.cr", "system/Task.rs"])
    headers = await cbo.headers(fhir, "system/Subscription.cr")
    url = "http://127.0.0.1:9/hook"
    id_only = {"extension": [{"url": f"{BACKPORT}/backport-payload-content", "valueCode": "full-resource"}]}
    cases = [
        (subscription(url, criteria="http://example.org/SubscriptionTopic/Patient"), 422),
        (subscription(url, type="email"), 422),
        (subscription(url, _payload=id_only), 422),
        (subscription(url, filter_="ServiceRequest?status=active"), 422),
        (subscription(url, filter_="Task?colour=red"), 400),
        (subscription("ftp://example.org/hook"), 422),
        ({"resourceType": "Subscription", "status": "requested"}, 400),
    ]
    for body, status in cases:
        answer = await fhir.post("/fhir/Subscription", headers=headers, json=body)
        assert answer.status_code == status, (body, answer.text)
    person = bearer(db, net.gatekeeper, net.receiving)
    assert (await fhir.post("/fhir/Subscription", headers=person, json=subscription(url))).status_code == 403
    reader = await cbo.headers(fhir, "system/Task.rs")
    assert (await fhir.post("/fhir/Subscription", headers=reader, json=subscription(url))).status_code == 403


async def test_a_refused_notification_is_retried_until_accepted(fhir, app, db, temporal_client):
    net = make_network(db)
    app.state.subscription_poll_seconds = 0.5
    receiver, server = start_receiver()
    cbo, _ = await register_smart(fhir, db, net.receiving, ["system/Subscription.crd"])
    headers = await cbo.headers(fhir, "system/Subscription.cr")
    made = await fhir.post("/fhir/Subscription", headers=headers, json=subscription(
        receiver.url, filter_=f"Task?owner=HealthcareService/{net.receiving.id}&status=requested"))
    assert made.status_code == 201, made.text
    await eventually(lambda: notifications(receiver))
    receiver.status = 503  # the endpoint goes down
    rid = await send_referral(fhir, db, net)
    await eventually(lambda: len([n for n in notifications(receiver) if n["type"] == "event-notification"]) >= 2,
                     timeout=20)
    receiver.status = 204

    def told_count() -> int:
        db.expire_all()
        return db.get(FhirSubscription, int(made.json()["id"])).events_since_start

    await eventually(lambda: told_count() == 1, timeout=30)  # accepted at last
    await asyncio.sleep(2)  # and told once: nothing more follows
    events = [n for n in notifications(receiver) if n["type"] == "event-notification"]
    assert {tuple(n["focus"]) for n in events} == {(f"http://testserver/fhir/Task/{rid}",)}
    assert {n["count"] for n in events} == {"1"}  # the same event, retried, not a new one each time
    # Ended by its owner (with the delete scope): the workflow stops at its next step.
    sub_url = f"/fhir/Subscription/{made.json()['id']}"
    assert (await fhir.delete(sub_url, headers=headers)).status_code == 403  # this token lacks .d
    other, _ = await register_smart(fhir, db, net.receiving, ["system/Subscription.crd"], name="Other system")
    assert (await fhir.delete(sub_url, headers=await other.headers(fhir, "system/Subscription.d"))).status_code == 404
    ended = await fhir.delete(sub_url, headers=await cbo.headers(fhir, "system/Subscription.crd"))
    assert ended.status_code == 200 and ended.json()["status"] == "off"
    handle = temporal_client.get_workflow_handle(f"fhir-subscription-{made.json()['id']}")
    assert await asyncio.wait_for(handle.result(), timeout=30) == "off"
    server.shutdown()
