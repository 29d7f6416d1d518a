"""A program works its referral from its own system by updating the Task: each update is the
same referral step as in CONNECT's pages, through the same workflow and its validators."""

from __future__ import annotations

from sqlalchemy import select

from models.referrals.tables import Referral
from tests.fhir.smart_support import register_smart
from tests.referral_network import COMPLETE_FORM, bearer, make_network

SENT_FORM = {"insurance_confirmed": True, **COMPLETE_FORM}


async def send_referral(http, db, net) -> int:
    sender = bearer(db, net.sender, net.sending)
    made = await http.post("/api/v1/referrals", headers=sender, json={
        "client_id": net.client.id, "receiving_program_id": net.receiving.id, "reason": COMPLETE_FORM["reason"],
        "fields": COMPLETE_FORM["fields"], "send": True, "insurance_confirmed": True})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _with(task: dict, **changes) -> dict:
    out = {k: v for k, v in task.items() if k not in ("statusReason", "businessStatus")}
    return {**out, **changes}


async def test_the_receiving_programs_system_works_the_referral(fhir, db):
    net = make_network(db)
    rid = await send_referral(fhir, db, net)
    cbo, _ = await register_smart(fhir, db, net.receiving, ["system/Task.rus"], name="CBO case system")
    headers = await cbo.headers(fhir, "system/Task.rus")
    url = f"/fhir/Task/{rid}"
    task = (await fhir.get(url, headers=headers)).json()
    assert task["status"] == "requested"
    base = "http://testserver/fhir"
    provider_ext = [{"url": f"{base}/StructureDefinition/assigned-provider",
                     "valueReference": {"reference": f"Practitioner/{net.provider.id}"}}]

    # Accepting without naming the provider is refused; so is a Task that changes its parties.
    refused = await fhir.put(url, headers=headers, json=_with(task, status="accepted"))
    assert refused.status_code == 422 and refused.json()["issue"][0]["expression"] == ["extension"]
    moved = _with(task, status="accepted", extension=provider_ext,
                  owner={"reference": f"HealthcareService/{net.outside.id}"})
    assert (await fhir.put(url, headers=headers, json=moved)).status_code == 409

    accepted = await fhir.put(url, headers=headers, json=_with(task, status="accepted", extension=provider_ext))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    again = await fhir.put(url, headers=headers, json=_with(task, status="accepted", extension=provider_ext))
    assert again.status_code == 200  # a retried PUT changes nothing
    db.expire_all()
    referral = db.get(Referral, rid)
    assert (referral.state, referral.assigned_provider_id) == ("assigned", net.provider.id)

    task = accepted.json()
    enrolled = await fhir.put(url, headers=headers, json=_with(task, status="in-progress"))
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["businessStatus"]["coding"][0]["code"] == "enrolled-in-services"
    # A Referral Status whose Task.status disagrees is refused before anything changes.
    wrong = _with(task, status="completed", businessStatus={"coding": [{
        "system": f"{base}/CodeSystem/referral-status", "code": "not-completed-dropped-out"}]})
    answer = await fhir.put(url, headers=headers, json=wrong)
    assert answer.status_code == 422 and answer.json()["issue"][0]["diagnostics"] == "status_mismatch"
    failed = _with(task, status="failed", statusReason={"text": "stopped coming after week 2"},
                   businessStatus={"coding": [{"system": f"{base}/CodeSystem/referral-status",
                                               "code": "not-completed-dropped-out"}]})
    closed = await fhir.put(url, headers=headers, json=failed)
    assert closed.status_code == 200, closed.text
    final = closed.json()
    assert (final["status"], final["statusReason"]["text"]) == ("failed", "Not Completed - Dropped out")
    assert [o["valueReference"]["reference"] for o in final["output"]] == [
        f"Procedure/{rid}", f"Observation/enrollment-{rid}"]
    db.expire_all()
    assert db.scalar(select(Referral.state).where(Referral.id == rid)) == "closed"
    # Closed: the workflow's rule answers, in FHIR's shape.
    late = await fhir.put(url, headers=headers, json=_with(final, status="in-progress"))
    assert late.status_code == 409 and late.json()["resourceType"] == "OperationOutcome"


async def test_rejecting_needs_a_reason_and_only_the_receiver_may(fhir, db):
    net = make_network(db)
    rid = await send_referral(fhir, db, net)
    url = f"/fhir/Task/{rid}"
    ehr, _ = await register_smart(fhir, db, net.sending, ["system/Task.rus"], name="Clinic EHR")
    ehr_headers = await ehr.headers(fhir, "system/Task.rus")
    task = (await fhir.get(url, headers=ehr_headers)).json()
    by_sender = await fhir.put(url, headers=ehr_headers, json=_with(task, status="rejected",
                                                                     statusReason={"text": "no"}))
    assert by_sender.status_code == 403, by_sender.text  # the workflow's validator: not the receiver
    cbo, _ = await register_smart(fhir, db, net.receiving, ["system/Task.rus"], name="CBO system")
    headers = await cbo.headers(fhir, "system/Task.rus")
    no_reason = await fhir.put(url, headers=headers, json=_with(task, status="rejected"))
    assert no_reason.status_code == 422 and no_reason.json()["issue"][0]["expression"] == ["statusReason"]
    declined = await fhir.put(url, headers=headers, json=_with(task, status="rejected",
                                                              statusReason={"text": "We have no openings."}))
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["statusReason"]["text"]) == ("rejected",
                                                                                   "We have no openings.")
    # A read-only token cannot update.
    reader, _ = await register_smart(fhir, db, net.receiving, ["system/Task.rs"], name="Dashboard")
    read_only = await reader.headers(fhir, "system/Task.rs")
    answer = await fhir.put(url, headers=read_only, json=task)
    assert answer.status_code == 403 and "system/Task.u" in answer.json()["issue"][0]["details"]["text"]
    bad = await fhir.put(url, headers=headers, content=b"{not json", )
    assert bad.status_code == 400
    assert (await fhir.put(url, headers=headers, json={"resourceType": "Task", "id": str(rid)})).status_code == 400
