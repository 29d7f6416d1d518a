"""Issue #15's closed loop, played by an EHR over HTTP: its referral Bundle comes in, the
receiving program's people work it in CONNECT (gatekeeper assigns, provider updates, closes),
and the EHR's polling searches read the final Task, its outputs and what they point to."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from fhir.resources.R4B.bundle import Bundle

from tests.factories import eventually, make_program
from tests.fhir.ehr_bundle import referral_bundle
from tests.fhir.smart_support import register_smart
from tests.referral_network import bearer, make_network
from tests.webhook_receiver import start_receiver

BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition"
TASK_TOPIC = "http://hl7.org/fhir/us/sdoh-clinicalcare/SubscriptionTopic/Task"

EHR_SCOPES = ["system/Patient.crs", "system/Consent.crs", "system/ServiceRequest.crs", "system/Task.crus",
              "system/Procedure.rs", "system/Observation.rs", "system/DocumentReference.rs", "system/Subscription.cr"]


def notifications(receiver) -> list[dict]:
    """Each notification received, parsed by the FHIR library, as (type, events, focus refs)."""
    out = []
    for message in list(receiver.messages):
        bundle = Bundle.model_validate(json.loads(message.body))
        status = bundle.entry[0].resource
        params = {p.name: p for p in status.parameter}
        events = [p for p in status.parameter if p.name == "notification-event"]
        out.append({"type": params["type"].valueCode, "count": params["events-since-subscription-start"].valueString,
                    "focus": [next(x.valueReference.reference for x in e.part if x.name == "focus") for e in events],
                    "at": [next(x.valueInstant for x in e.part if x.name == "timestamp") for e in events],
                    "auth": message.headers.get("authorization")})
    return out


async def test_an_ehr_sees_its_referral_close(fhir, app, db):
    net = make_network(db, form_fields=False)
    clinic = make_program(db, "Helena Family Clinic", services=("primary_care",))
    db.commit()
    app.state.subscription_poll_seconds = 0.5
    receiver, server = start_receiver()
    ehr, _ = await register_smart(fhir, db, clinic, EHR_SCOPES, name="Clinic EHR")
    ehr_headers = await ehr.headers(fhir, " ".join(EHR_SCOPES))
    started = datetime.now(timezone.utc) - timedelta(seconds=2)

    # The EHR subscribes to changes of the Tasks it requested (R5 Backport, rest-hook, id-only).
    subscription = await fhir.post("/fhir/Subscription", headers=ehr_headers, json={
        "resourceType": "Subscription", "status": "requested", "reason": "Follow our referrals",
        "criteria": TASK_TOPIC,
        "_criteria": {"extension": [{"url": f"{BACKPORT}/backport-filter-criteria",
                                     "valueString": f"Task?requester=Organization/{clinic.agency_id}"}]},
        "channel": {"type": "rest-hook", "endpoint": receiver.url, "payload": "application/fhir+json",
                    "header": ["Authorization: Bearer ehr-hook-secret"],
                    "_payload": {"extension": [{"url": f"{BACKPORT}/backport-payload-content", "valueCode": "id-only"}]},
                    "extension": [{"url": f"{BACKPORT}/backport-heartbeat-period", "valueUnsignedInt": 2}]}})
    assert subscription.status_code == 201, subscription.text
    sub_url = f"/fhir/Subscription/{subscription.json()['id']}"
    await eventually(lambda: any(n["type"] == "handshake" for n in notifications(receiver)))
    assert notifications(receiver)[0]["auth"] == "Bearer ehr-hook-secret"
    assert (await fhir.get(sub_url, headers=ehr_headers)).json()["status"] == "active"

    sent = await fhir.post("/fhir", headers=ehr_headers, json=referral_bundle(
        net.receiving.id, family="Okafor", given="Nia", birth_date="1984-07-09", phone="+14065550177"))
    assert sent.status_code == 200, sent.text
    rid = int(next(e["response"]["location"] for e in sent.json()["entry"]
                   if e["response"]["location"].startswith("Task/")).split("/")[1])

    # The gatekeeper of the receiving program finds it among the incoming referrals and assigns it.
    gatekeeper = bearer(db, net.gatekeeper, net.receiving)
    incoming = (await fhir.get("/api/v1/referrals/incoming", headers=gatekeeper)).json()
    assert rid in [r["id"] for r in incoming["items"]]
    api = f"/api/v1/referrals/{rid}"
    assigned = await fhir.post(f"{api}/assign", headers=gatekeeper, json={"provider_id": net.provider.id})
    assert assigned.status_code == 200, assigned.text
    polled = (await fhir.get(f"/fhir/Task?_id={rid}", headers=ehr_headers)).json()
    assert polled["entry"][0]["resource"]["status"] == "accepted"

    provider = bearer(db, net.provider, net.receiving)
    for body in ({"status": "Enrolled in Services", "comment": "first visit booked"},
                 {"status": "Closed - Successful completion"}):
        answer = await fhir.post(f"{api}/status", headers=provider, json=body)
        assert answer.status_code == 200, answer.text

    # The EHR polls for its Tasks changed since it last looked, with their ServiceRequests.
    since = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    changed = (await fhir.get(f"/fhir/Task?requester=Organization/{clinic.agency_id}&_lastUpdated=ge{since}"
                              "&_include=Task:focus", headers=ehr_headers)).json()
    tasks = [e["resource"] for e in changed["entry"] if e["resource"]["resourceType"] == "Task"]
    assert [t["id"] for t in tasks] == [str(rid)]
    task = tasks[0]
    assert task["status"] == "completed"
    assert task["businessStatus"]["coding"][0]["code"] == "closed-successful-completion"
    assert task["businessStatus"]["text"] == "Closed - Successful completion"
    assert "statusReason" not in task  # completed needs none
    assert task["owner"]["reference"] == f"HealthcareService/{net.receiving.id}"
    outputs = {o["type"]["coding"][0]["code"]: o["valueReference"]["reference"] for o in task["output"]}
    assert outputs == {"resulting-activity": f"Procedure/{rid}", "additional-content": f"Observation/enrollment-{rid}"}
    service_request = next(e["resource"] for e in changed["entry"] if e["resource"]["resourceType"] == "ServiceRequest")
    assert service_request["status"] == "completed"
    procedure = (await fhir.get(f"/fhir/{outputs['resulting-activity']}", headers=ehr_headers)).json()
    assert procedure["status"] == "completed" and procedure["performedPeriod"]["end"]
    enrollment = (await fhir.get(f"/fhir/{outputs['additional-content']}", headers=ehr_headers)).json()
    assert enrollment["valueCodeableConcept"]["coding"][0]["display"] == "No longer enrolled"
    # Every change reached the EHR's endpoint, numbered in order, naming only the Task.
    def told() -> list[dict]:
        return [n for n in notifications(receiver) if n["type"] == "event-notification"]

    # (Changes within one polling interval are one event: id-only says "read it again".)
    final = datetime.fromisoformat(task["meta"]["lastUpdated"].replace("Z", "+00:00"))
    await eventually(lambda: any(at >= final for n in told() for at in n["at"]), timeout=30)
    events = [f for n in told() for f in n["focus"]]
    assert set(events) == {f"http://testserver/fhir/Task/{rid}"}
    assert int(told()[-1]["count"]) == len(events)
    await eventually(lambda: any(n["type"] == "heartbeat" for n in notifications(receiver)), timeout=15)
    server.shutdown()
    consent = (await fhir.get(f"/fhir/{service_request['supportingInfo'][0]['reference']}",
                              headers=ehr_headers)).json()
    assert consent["status"] == "active" and consent["patient"] == task["for"]
    document = (await fhir.get(f"/fhir/{consent['sourceReference']['reference']}", headers=ehr_headers)).json()
    scan = document["content"][0]["attachment"]  # the PDF the EHR sent, kept as the ROI's signed scan
    assert scan["contentType"] == "application/pdf" and f"/api/v1/roi/{consent['id']}/attachments/" in scan["url"]
