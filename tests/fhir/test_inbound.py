"""An EHR's referral comes in as a transaction Bundle and goes through the steps a person takes:
the duplicate guard, the ROI signed by upload, the referral sent (its workflow started)."""

from __future__ import annotations

from sqlalchemy import select

from models.audit import AuditEvent
from models.clients.tables import Client
from models.referrals.tables import Referral
from models.releases.tables import ReleaseOfInformation, RoiAttachment
from tests.factories import make_program, make_user
from tests.fhir.ehr_bundle import referral_bundle
from tests.fhir.smart_support import register_smart
from tests.referral_network import make_network

EHR_SCOPES = ["system/Patient.crs", "system/Consent.crs", "system/ServiceRequest.crs", "system/Task.crus"]


async def ehr_of(fhir, db, program):
    ehr, _ = await register_smart(fhir, db, program, EHR_SCOPES, name="Clinic EHR")
    return await ehr.headers(fhir, " ".join(EHR_SCOPES))


async def test_a_referral_bundle_becomes_a_sent_referral(fhir, db, temporal_client):
    net = make_network(db, form_fields=False)
    clinic = make_program(db, "Helena Family Clinic", services=("primary_care",))
    make_user(db, "clinic.gk@clinic.example", gatekeeper_of=(clinic,))
    db.commit()
    headers = await ehr_of(fhir, db, clinic)
    answer = await fhir.post("/fhir", headers=headers, json=referral_bundle(net.receiving.id,
                                                                            family="Okafor", given="Nia"))
    assert answer.status_code == 200, answer.text
    locations = {e["response"]["location"].split("/")[0]: e["response"] for e in answer.json()["entry"]}
    assert locations["Patient"]["status"] == "201 Created"
    rid = int(locations["Task"]["location"].split("/")[1])
    db.expire_all()
    referral = db.get(Referral, rid)
    assert (referral.state, referral.sending_program_id, referral.receiving_program_id) == (
        "sent", clinic.id, net.receiving.id)
    assert referral.reason.startswith("Food insecurity")
    roi = db.get(ReleaseOfInformation, referral.roi_id)
    assert (roi.state, roi.signature_method) == ("signed", "upload")
    assert db.scalar(select(RoiAttachment).where(RoiAttachment.roi_id == roi.id)).sha256
    client = db.get(Client, referral.client_id)
    assert (client.first_name, client.created_by_program_id) == ("Nia", clinic.id)
    # The workflow runs it, as any referral.
    state = await temporal_client.get_workflow_handle(f"referral-{rid}").query("state")
    assert state is not None
    # The receiving gatekeeper finds it; the EHR reads its Task as requested.
    gk = await register_smart(fhir, db, net.receiving, ["system/Task.rs"], name="CBO")
    cbo = await gk[0].headers(fhir, "system/Task.rs")
    found = (await fhir.get("/fhir/Task?status=requested", headers=cbo)).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [str(rid)]
    task = (await fhir.get(f"/fhir/Task/{rid}", headers=headers)).json()
    assert task["status"] == "requested" and task["requester"]["reference"] == f"Organization/{clinic.agency_id}"

    # The same patient again: the duplicate guard finds the client; one open referral per program.
    again = await fhir.post("/fhir", headers=headers, json=referral_bundle(net.receiving.id, family="Okafor",
                                                                           given="Nia"))
    assert again.status_code == 409 and again.json()["issue"][0]["diagnostics"] == "referral_already_open"
    db.expire_all()
    assert len(db.scalars(select(Client).where(Client.last_name == "Okafor")).all()) == 1
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "client.duplicate_refused")) is not None


async def test_an_existing_client_is_matched_not_copied(fhir, db):
    net = make_network(db, form_fields=False)
    headers = await ehr_of(fhir, db, net.sending)
    answer = await fhir.post("/fhir", headers=headers, json=referral_bundle(net.receiving.id))  # Zelda
    assert answer.status_code == 200, answer.text
    patient = next(e["response"] for e in answer.json()["entry"] if e["response"]["location"].startswith("Patient"))
    assert patient == {"status": "200 OK", "location": f"Patient/{net.client.id}"}


async def test_what_an_inbound_referral_must_carry(fhir, db):
    net = make_network(db)  # the receiving program's form has required fields
    headers = await ehr_of(fhir, db, net.sending)
    good = referral_bundle(net.receiving.id, family="Lindqvist")

    def without(kind: str) -> dict:
        return {**good, "entry": [e for e in good["entry"] if e["resource"]["resourceType"] != kind]}

    def changed(kind: str, **fields) -> dict:
        return {**good, "entry": [{**e, "resource": {**e["resource"], **fields}}
                                  if e["resource"]["resourceType"] == kind else e for e in good["entry"]]}

    cases = [
        ({**good, "type": "batch"}, 400, "Bundle.type"),
        (without("Consent"), 422, "Bundle.entry"),
        (changed("Task", owner={"reference": "HealthcareService/999999"}), 422, "Task.owner"),
        (changed("Task", focus={"reference": "urn:uuid:patient"}), 422, "Task.focus"),
        (changed("Task", status="accepted"), 422, "Task.status"),
        (changed("Consent", status="proposed"), 422, "Consent.status"),
        (changed("Consent", provision={"type": "permit"}), 422, "Consent.provision"),
        (changed("Patient", birthDate="2090-01-01"), 422, "Patient.birthDate"),
        (changed("Patient", address=[{"line": ["1 Main St"], "city": "Helena", "postalCode": "59601"}]), 422,
         "Patient.address.district"),
        (changed("Patient", foo="bar"), 400, None),  # not FHIR R4
    ]
    for bundle, status, field in cases:
        answer = await fhir.post("/fhir", headers=headers, json=bundle)
        assert answer.status_code == status, (field, answer.text)
        if field:
            assert field in answer.json()["issue"][0].get("expression", []), (field, answer.json())
    # Someone who may be a client already (same birth date and phone, another name): a person
    # must check, as the duplicate guard asks of anyone adding a client.
    answer = await fhir.post("/fhir", headers=headers, json=good)
    assert answer.status_code == 409 and answer.json()["issue"][0]["diagnostics"] == "duplicate", answer.text
    # The receiving program's own required fields are required of an EHR too (no second path).
    other = referral_bundle(net.receiving.id, family="Lindqvist", birth_date="1971-02-03", phone="+14065550123")
    answer = await fhir.post("/fhir", headers=headers, json=other)
    assert answer.status_code == 422 and answer.json()["issue"][0]["diagnostics"] == "form_incomplete", answer.text
    # A token without the create scopes is refused before anything is read.
    reader, _ = await register_smart(fhir, db, net.sending, ["system/Task.rs"], name="Reader")
    answer = await fhir.post("/fhir", headers=await reader.headers(fhir, "system/Task.rs"), json=good)
    assert answer.status_code == 403
