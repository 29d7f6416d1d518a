"""The transaction Bundle a clinic's EHR sends to refer a patient (SDOHCC resources)."""

from __future__ import annotations

import base64

from tests.roi_support import pdf_bytes

BASE = "http://testserver/fhir"
SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare"


def referral_bundle(program_id: int, *, family: str = "Quartermaine", given: str = "Zelda",
                    birth_date: str = "1990-04-12", phone: str = "+14065551234",
                    types: tuple[str, ...] = ("contact_information", "demographics", "reason_for_referral"),
                    insurance_confirmed: bool = True, pdf: bytes | None = None) -> dict:
    patient = {"resourceType": "Patient", "name": [{"family": family, "given": [given]}], "gender": "female",
               "birthDate": birth_date, "telecom": [{"system": "phone", "value": phone, "use": "mobile"}],
               "address": [{"line": ["12 Last Chance Gulch"], "city": "Helena", "district": "Lewis and Clark",
                            "state": "MT", "postalCode": "59601"}]}
    consent = {"resourceType": "Consent", "status": "active",
               "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                     "code": "patient-privacy"}]},
               "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                         "code": "IDSCL"}]}],
               "patient": {"reference": "urn:uuid:patient"}, "dateTime": "2026-12-01",
               "sourceAttachment": {"contentType": "application/pdf",
                                    "data": base64.b64encode(pdf or pdf_bytes("Consent signed at the clinic")).decode()},
               "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentpolicycodes",
                                          "code": "hipaa-auth"}]},
               "provision": {"type": "permit", "provision": [
                   {"type": "permit", "code": [{"coding": [{"system": f"{BASE}/CodeSystem/information-type",
                                                            "code": t}]}]} for t in types]}}
    service_request = {
        "resourceType": "ServiceRequest", "status": "active", "intent": "order",
        "meta": {"profile": [f"{SDOHCC}/StructureDefinition/SDOHCC-ServiceRequest"]},
        "category": [{"coding": [{"system": f"{SDOHCC}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes",
                                  "code": "food-insecurity"}]}],
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "467771000124109",
                             "display": "Assistance with application for food pantry program"}]},
        "subject": {"reference": "urn:uuid:patient"}, "authoredOn": "2026-12-01T10:00:00Z",
        "supportingInfo": [{"reference": "urn:uuid:consent"}],
        "note": [{"text": "Food insecurity found at screening; needs a pantry near Helena."}],
        "extension": [{"url": f"{BASE}/StructureDefinition/insurance-confirmed", "valueBoolean": insurance_confirmed}],
    }
    task = {"resourceType": "Task", "status": "requested", "intent": "order",
            "meta": {"profile": [f"{SDOHCC}/StructureDefinition/SDOHCC-TaskForReferralManagement"]},
            "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
            "focus": {"reference": "urn:uuid:sr"}, "for": {"reference": "urn:uuid:patient"},
            "authoredOn": "2026-12-01T10:00:00Z",
            "requester": {"reference": "Organization/clinic"},
            "owner": {"reference": f"HealthcareService/{program_id}"}}
    entries = [("urn:uuid:patient", patient), ("urn:uuid:consent", consent), ("urn:uuid:sr", service_request),
               ("urn:uuid:task", task)]
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": url, "resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
        for url, r in entries]}
