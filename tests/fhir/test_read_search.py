"""Read and search over HTTP, as a clinic's EHR or a program's system would: what each program
sees, the IG's search parameters, paging, and OperationOutcome for every refusal."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from sqlalchemy import select

from api.fhir.resources import RESOURCES
from models.audit import AuditEvent
from models.releases.tables import ReleaseOfInformation, RoiProgram
from tests.factories import make_client, make_referral
from tests.referral_network import bearer, make_network

FHIR_JSON = {"accept": "application/fhir+json"}


def _ids(bundle: dict, kind: str | None = None) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])
            if kind is None or e["resource"]["resourceType"] == kind]


async def test_metadata_says_what_the_server_does(fhir):
    r = await fhir.get("/fhir/metadata")  # no sign-in: a client discovers the server first
    assert r.status_code == 200
    cs = r.json()
    assert (cs["resourceType"], cs["fhirVersion"], cs["kind"]) == ("CapabilityStatement", "4.0.1", "instance")
    rest = cs["rest"][0]
    by_type = {res["type"]: res for res in rest["resource"]}
    assert set(by_type) == set(RESOURCES) | {"Subscription"}
    task_params = {p["name"] for p in by_type["Task"]["searchParam"]}
    assert {"_id", "_lastUpdated", "code", "patient", "requester", "status", "focus", "owner"} <= task_params
    assert {"Task:focus", "Task:patient"} == set(by_type["Task"]["searchInclude"])
    assert {p["name"] for p in by_type["Consent"]["searchParam"]} >= {"_id", "source-reference"}
    assert {i["code"] for i in by_type["Patient"]["interaction"]} == {"read", "search-type"}
    assert {i["code"] for i in by_type["Task"]["interaction"]} == {"update", "read", "search-type"}
    assert rest["interaction"] == [{"code": "transaction", "documentation": rest["interaction"][0]["documentation"]}]
    # Each interaction it names answers; one it does not name is refused.
    assert (await fhir.post("/fhir/Task", json={"resourceType": "Task"})).status_code == 405
    assert {i["code"] for i in by_type["Organization"]["interaction"]} == {"read", "search-type"}


async def test_refusals_are_operation_outcomes(fhir, db):
    net = make_network(db)
    gk = bearer(db, net.gatekeeper, net.receiving)
    cases = [
        ("/fhir/Task", {}, 401, "login"),
        ("/fhir/Task?colour=red", gk, 400, "invalid"),
        ("/fhir/Task?_lastUpdated=yesterday", gk, 400, "invalid"),
        ("/fhir/Task?_lastUpdated=ge2026-01-01T10:00", gk, 400, "invalid"),  # a time needs its offset
        ("/fhir/Task?owner:exact=HealthcareService/1", gk, 400, "invalid"),
        ("/fhir/Task?patient=Organization/1", gk, 400, "invalid"),
        ("/fhir/Task?owner:missing=maybe", gk, 400, "invalid"),
        ("/fhir/Task?_count=0", gk, 400, "invalid"),
        ("/fhir/Task/abc", gk, 404, "not-found"),
        ("/fhir/Patient/999999", gk, 404, "not-found"),
        ("/fhir/Nothing", gk, 404, "not-found"),
    ]
    for path, headers, status, code in cases:
        r = await fhir.get(path, headers=headers)
        assert r.status_code == status, (path, r.text)
        assert r.json()["issue"][0]["code"] == code, (path, r.json())
    r = await fhir.get("/fhir/Task?colour=red", headers=gk)
    assert r.json()["issue"][0]["expression"] == ["colour"]
    r = await fhir.delete("/fhir/Task/1", headers=gk)
    assert r.status_code == 405 and r.json()["resourceType"] == "OperationOutcome"


async def test_task_shows_where_the_referral_stands(fhir, db):
    net = make_network(db)
    now = datetime.now(timezone.utc)
    sent = make_referral(db, net.sending, net.receiving, net.sender, client=net.client)
    declined = make_referral(db, net.sending, net.receiving, net.sender, state="declined", declined_at=now)
    declined.decline_reason = "We have no openings this month."
    waiting = make_referral(db, net.sending, net.receiving, net.sender, state="assigned",
                            service_status="Not Started - On waiting list", provider=net.provider,
                            acknowledged_at=now)
    done = make_referral(db, net.sending, net.receiving, net.sender, state="closed",
                         service_status="Closed - Successful completion", provider=net.provider,
                         acknowledged_at=now - timedelta(days=20), enrolled_at=now - timedelta(days=15),
                         closed_at=now)
    db.commit()
    gk = bearer(db, net.gatekeeper, net.receiving)
    expected = {sent.id: ("requested", "active", None), declined.id: ("rejected", "declined",
                                                                        "We have no openings this month."),
                waiting.id: ("on-hold", "not-started-on-waiting-list", "Not Started - On waiting list"),
                done.id: ("completed", "closed-successful-completion", None)}
    for rid, (status, business, reason) in expected.items():
        task = (await fhir.get(f"/fhir/Task/{rid}", headers=gk)).json()
        assert (task["status"], task["businessStatus"]["coding"][0]["code"]) == (status, business)
        assert task.get("statusReason", {}).get("text") == reason
        assert (task["intent"], task["code"]["coding"][0]["code"]) == ("order", "fulfill")
        assert task["focus"]["reference"] == f"ServiceRequest/{rid}"
        assert task["owner"]["reference"] == f"HealthcareService/{net.receiving.id}"
        assert task["requester"]["reference"] == f"Organization/{net.sending.agency_id}"
        assert task["meta"]["profile"] == [
            "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement"]
    outputs = (await fhir.get(f"/fhir/Task/{done.id}", headers=gk)).json()["output"]
    assert [o["valueReference"]["reference"] for o in outputs] == [f"Procedure/{done.id}",
                                                                   f"Observation/enrollment-{done.id}"]
    procedure = (await fhir.get(f"/fhir/Procedure/{done.id}", headers=gk)).json()
    assert procedure["status"] == "completed" and procedure["basedOn"] == [{"reference": f"ServiceRequest/{done.id}"}]
    enrollment = (await fhir.get(f"/fhir/Observation/enrollment-{done.id}", headers=gk)).json()
    assert enrollment["code"]["coding"][0]["code"] == "89177-1"
    assert (await fhir.get(f"/fhir/Procedure/{sent.id}", headers=gk)).status_code == 404  # no services yet
    sr = (await fhir.get(f"/fhir/ServiceRequest/{sent.id}", headers=gk)).json()
    assert sr["status"] == "active" and sr["supportingInfo"] == [{"reference": f"Consent/{sent.roi_id}"}]
    assert {c["coding"][0]["code"] for c in sr["category"]} >= {"mental-health" if False else "stress",
                                                               "food-insecurity"}
    # A program of another agency sees none of it.
    outsider = bearer(db, net.outsider, net.outside)
    assert (await fhir.get(f"/fhir/Task/{sent.id}", headers=outsider)).status_code == 404
    assert (await fhir.get("/fhir/Task", headers=outsider)).json()["total"] == 0


async def test_the_igs_task_searches(fhir, db):
    net = make_network(db)
    sent = make_referral(db, net.sending, net.receiving, net.sender, client=net.client)
    other_client = make_client(db, net.sending, net.sender, first_name="Ada")
    assigned = make_referral(db, net.sending, net.receiving, net.sender, client=other_client, state="assigned",
                             provider=net.provider, acknowledged_at=datetime.now(timezone.utc))
    db.commit()
    gk = bearer(db, net.gatekeeper, net.receiving)

    async def ids(query: str) -> list[str]:
        r = await fhir.get(f"/fhir/Task?{query}", headers=gk)
        assert r.status_code == 200, r.text
        return _ids(r.json(), "Task")

    # Every referral is sent to a program, so the IG's "unowned requests" query finds none.
    assert await ids("owner:missing=true&status=requested") == []
    assert await ids("owner:missing=false&status=requested") == [str(sent.id)]
    assert await ids("status=requested") == [str(sent.id)]
    assert sorted(await ids("status=requested,accepted")) == sorted([str(sent.id), str(assigned.id)])
    assert await ids("status=http://hl7.org/fhir/task-status|accepted") == [str(assigned.id)]
    assert await ids(f"patient=Patient/{net.client.id}") == [str(sent.id)]
    assert await ids(f"focus=ServiceRequest/{assigned.id}") == [str(assigned.id)]
    assert len(await ids(f"owner=HealthcareService/{net.receiving.id}")) == 2
    assert await ids(f"owner=HealthcareService/{net.outside.id}") == []
    assert len(await ids(f"requester=Organization/{net.sending.agency_id}")) == 2
    assert len(await ids("code=http://hl7.org/fhir/CodeSystem/task-code|fulfill")) == 2
    assert await ids("code=approve") == []
    assert await ids(f"_id={sent.id},999999") == [str(sent.id)]
    assert len(await ids("_lastUpdated=ge2020-01-01&_lastUpdated=lt2100")) == 2
    assert await ids("_lastUpdated=lt2020") == []
    bundle = (await fhir.get(f"/fhir/Task?_id={sent.id}&_include=Task:focus&_include=Task:patient",
                             headers=gk)).json()
    assert [(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]] == [
        ("Task", "match"), ("ServiceRequest", "include"), ("Patient", "include")]
    assert bundle["total"] == 1


async def test_bundles_page_with_next_links(fhir, db):
    net = make_network(db)
    made = [make_referral(db, net.sending, net.receiving, net.sender) for _ in range(5)]
    db.commit()
    gk = bearer(db, net.gatekeeper, net.receiving)
    url, seen, pages = "/fhir/Task?status=requested&_count=2", [], 0
    while url:
        bundle = (await fhir.get(url, headers=gk)).json()
        assert bundle["type"] == "searchset" and bundle["total"] == 5
        seen += _ids(bundle)
        pages += 1
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert "status=requested" in links["self"]
        nxt = links.get("next")
        url = (urlsplit(nxt).path + "?" + urlsplit(nxt).query) if nxt else None
    assert pages == 3 and seen == [str(r.id) for r in made]


async def test_patient_shows_no_more_than_the_roi_shares(fhir, db):
    net = make_network(db)
    # The receiving program's ROI shares only the reason for referral: no contact, no demographics.
    roi = db.get(ReleaseOfInformation, net.roi.id)
    roi.information_types = ["reason_for_referral"]
    db.commit()
    creator = bearer(db, net.sender, net.sending)
    receiver = bearer(db, net.gatekeeper, net.receiving)
    full = (await fhir.get(f"/fhir/Patient/{net.client.id}", headers=creator)).json()
    assert full["telecom"][0]["value"] == "+14065551234" and full["address"][0]["city"] == "Helena"
    assert full["birthDate"] == "1990-04-12"
    limited = (await fhir.get(f"/fhir/Patient/{net.client.id}", headers=receiver)).json()
    assert "telecom" not in limited and "address" not in limited
    assert limited["gender"] == "unknown" and limited["_gender"]["extension"][0]["valueCode"] == "masked"
    assert limited["name"] == [{"family": "Quartermaine", "given": ["Zelda"]}]
    outsider = bearer(db, net.outsider, net.outside)
    assert (await fhir.get(f"/fhir/Patient/{net.client.id}", headers=outsider)).status_code == 404
    found = (await fhir.get("/fhir/Patient?family=quarter&birthdate=1990-04", headers=receiver)).json()
    assert _ids(found) == [str(net.client.id)]
    assert (await fhir.get("/fhir/Patient?family=quarter", headers=outsider)).json()["total"] == 0
    views = db.scalars(select(AuditEvent).where(AuditEvent.action == "client.viewed")).all()
    assert len(views) == 3  # each answer that showed the client, once


async def test_consent_is_the_roi(fhir, db):
    net = make_network(db)
    receiver = bearer(db, net.gatekeeper, net.receiving)
    consent = (await fhir.get(f"/fhir/Consent/{net.roi.id}", headers=receiver)).json()
    assert consent["status"] == "active"
    assert {c["coding"][0]["code"] for c in consent["category"]} == {"IDSCL", "59284-0"}
    assert consent["patient"] == {"reference": f"Patient/{net.client.id}"}
    assert consent["sourceReference"] == {"reference": f"DocumentReference/{net.roi.id}"}
    document = (await fhir.get(f"/fhir/DocumentReference/{net.roi.id}", headers=receiver)).json()
    source = document["content"][0]["attachment"]  # the text the client agreed to
    raw = base64.b64decode(source["data"])
    assert raw == b"(test)" and base64.b64decode(source["hash"]) == hashlib.sha1(raw).digest()
    by_source = (await fhir.get(f"/fhir/Consent?source-reference=DocumentReference/{net.roi.id}"
                                "&_include=Consent:source-reference:DocumentReference", headers=receiver)).json()
    assert [(e["resource"]["resourceType"], e["resource"]["id"]) for e in by_source["entry"]] == [
        ("Consent", str(net.roi.id)), ("DocumentReference", str(net.roi.id))]
    assert consent["provision"]["period"]["end"] == net.roi.expires_on.isoformat()
    assert {p["code"][0]["coding"][0]["code"] for p in consent["provision"]["provision"]} == {
        "contact_information", "demographics", "reason_for_referral"}
    assert consent["provision"]["actor"][0]["reference"]["reference"] == f"Organization/{net.receiving.agency_id}"
    listed = (await fhir.get(f"/fhir/Consent?patient=Patient/{net.client.id}&status=active", headers=receiver)).json()
    assert _ids(listed) == [str(net.roi.id)]
    # Revoked: the receiving program no longer reads it, the sender still does.
    roi = db.get(ReleaseOfInformation, net.roi.id)
    roi.state, roi.revoked_at = "revoked", datetime.now(timezone.utc)
    db.commit()
    assert (await fhir.get(f"/fhir/Consent/{net.roi.id}", headers=receiver)).status_code == 404
    sender = bearer(db, net.sender, net.sending)
    assert (await fhir.get(f"/fhir/Consent/{net.roi.id}", headers=sender)).json()["status"] == "inactive"
    outsider = bearer(db, net.outsider, net.outside)
    assert (await fhir.get(f"/fhir/Consent?patient={net.client.id}", headers=outsider)).json()["total"] == 0
    assert db.scalar(select(RoiProgram).where(RoiProgram.roi_id == net.roi.id)) is not None


async def test_the_directory(fhir, db):
    net = make_network(db)
    gk = bearer(db, net.gatekeeper, net.receiving)
    service = (await fhir.get(f"/fhir/HealthcareService/{net.receiving.id}", headers=gk)).json()
    assert service["providedBy"]["reference"] == f"Organization/{net.receiving.agency_id}"
    assert {t["coding"][0]["code"] for t in service["type"]} == {"mental_health", "food_nutrition"}
    org = (await fhir.get(f"/fhir/Organization/{net.receiving.agency_id}", headers=gk)).json()
    assert org["name"] == net.receiving.agency.name
    found = (await fhir.get(f"/fhir/HealthcareService?organization=Organization/{net.sending.agency_id}",
                            headers=gk)).json()
    assert _ids(found) == [str(net.sending.id)]
    assert (await fhir.get(f"/fhir/Location/{net.receiving.id}", headers=gk)).json()["status"] == "active"
    assert _ids((await fhir.get("/fhir/Organization?name=zzz", headers=gk)).json()) == []
