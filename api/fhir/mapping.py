"""CONNECT's records as FHIR R4 resources of the Gravity SDOH Clinical Care IG (STU 3), in one place.

| CONNECT                     | FHIR                                                           |
|-----------------------------|----------------------------------------------------------------|
| client                      | Patient (US Core 7), no more than the program may see           |
| agency                      | Organization (US Core 7)                                        |
| program                     | HealthcareService (SDOHCC HealthcareService) + Location         |
| referral                    | ServiceRequest (SDOHCC) and Task (SDOHCC TaskForReferralManagement) |
| referral's services         | Procedure (SDOHCC), enrollment-status Observation (SDOHCC)      |
| ROI                         | Consent (SDOHCC Consent)                                        |

The ids are CONNECT's own: `Task/12` and `ServiceRequest/12` are referral 12, `Consent/7` is ROI 7,
`HealthcareService/3` and `Location/3` program 3, `Organization/2` agency 2, `Patient/5` client 5,
`Procedure/12` and `Observation/enrollment-12` the services of referral 12.

``TASK_STATES`` is the one table from a referral's state and Referral Status (the guide's
words) to Task.status, Task.businessStatus and whether Task.statusReason is required.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timezone

from fhir_core.fhirabstractmodel import FHIRAbstractModel

from api.fhir.models import build
from domain.referral_status import SERVICE_STATUSES, ReferralState, ServiceStatus
from domain.roi import InformationType, RoiState
from domain.taxonomy import SERVICES
from models.clients.tables import Client
from models.agencies.tables import Agency, Program
from models.referrals.tables import Referral
from models.releases.tables import ReleaseOfInformation

SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare"
US_CORE = "http://hl7.org/fhir/us/core"
PROFILE = {
    "Patient": f"{US_CORE}/StructureDefinition/us-core-patient|7.0.0",
    "Organization": f"{US_CORE}/StructureDefinition/us-core-organization|7.0.0",
    "Location": f"{US_CORE}/StructureDefinition/us-core-location|7.0.0",
    "HealthcareService": f"{SDOHCC}/StructureDefinition/SDOHCC-HealthcareService",
    "ServiceRequest": f"{SDOHCC}/StructureDefinition/SDOHCC-ServiceRequest",
    "Task": f"{SDOHCC}/StructureDefinition/SDOHCC-TaskForReferralManagement",
    "Consent": f"{SDOHCC}/StructureDefinition/SDOHCC-Consent",
    "Procedure": f"{SDOHCC}/StructureDefinition/SDOHCC-Procedure",
    "Observation": f"{SDOHCC}/StructureDefinition/SDOHCC-ObservationProgramEnrollmentStatus",
    "DocumentReference": f"{US_CORE}/StructureDefinition/us-core-documentreference|7.0.0",
}
TEMPORARY_CODES = f"{SDOHCC}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
SDOH_CATEGORY = f"{SDOHCC}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
SOCIAL_SERVICE_PROCEDURE = {"system": SNOMED, "code": "410606002", "display": "Social service procedure"}


@dataclass(frozen=True)
class Systems:
    """CONNECT's own code systems and identifier systems, under this server's base URL."""

    base: str  # e.g. https://connect.example.org/fhir

    @property
    def referral_status(self) -> str:
        """Task.businessStatus: the guide's Referral Status list (and CONNECT's system states)."""
        return f"{self.base}/CodeSystem/referral-status"

    @property
    def information_type(self) -> str:
        return f"{self.base}/CodeSystem/information-type"

    @property
    def service(self) -> str:
        return f"{self.base}/CodeSystem/service"

    @property
    def assigned_provider(self) -> str:
        """Task extension: the provider the receiving program assigned the referral to."""
        return f"{self.base}/StructureDefinition/assigned-provider"

    @property
    def insurance_confirmed(self) -> str:
        """ServiceRequest extension (valueBoolean): the referrer confirmed that insurance will not
        be a barrier at the receiving program, as a person confirms it before sending."""
        return f"{self.base}/StructureDefinition/insurance-confirmed"

    def identifier(self, kind: str) -> str:
        return f"{self.base}/sid/{kind}"


# --- the one status table ---------------------------------------------------------------------


@dataclass(frozen=True)
class TaskState:
    """How one guide status shows on the Task."""

    status: str
    """Task.status (SDOHCC ValueSet Referral Task Status: TaskStatus less ready and received)."""
    code: str
    """Task.businessStatus code in CONNECT's referral-status code system."""
    display: str
    reason_required: bool
    """The IG asks for Task.statusReason.text when the Task is rejected, cancelled, on-hold or
    failed; CONNECT gives it then, from the decline reason, the withdrawal or the status chosen."""


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


_REASON_STATUSES = frozenset({"rejected", "cancelled", "on-hold", "failed"})


def _row(status: str, display: str) -> TaskState:
    return TaskState(status, _slug(display), display, status in _REASON_STATUSES)


TASK_STATES: dict[ReferralState | ServiceStatus, TaskState] = {
    ReferralState.PENDING: _row("draft", "Pending"),
    ReferralState.SENT: _row("requested", "Active"),
    ReferralState.ASSIGNED: _row("accepted", "Assigned"),
    ReferralState.DECLINED: _row("rejected", "Declined"),
    ReferralState.WITHDRAWN: _row("cancelled", "Withdrawn"),
    # The 13 Referral Statuses, Task.status as domain.referral_status's table has it.
    **{s: _row(info.fhir_task_status.value, s.value) for s, info in SERVICE_STATUSES.items()},
}
"""Guide status -> Task. A referral's key is its Referral Status once one was recorded (the
receiving program's word on where the service is), else its system state."""

TASK_STATUSES = tuple(dict.fromkeys(t.status for t in TASK_STATES.values()))


def task_state_key(referral: Referral) -> ReferralState | ServiceStatus:
    state = ReferralState(referral.state)
    if state in (ReferralState.ASSIGNED, ReferralState.CLOSED) and referral.service_status:
        return ServiceStatus(referral.service_status)
    return state


def task_state(referral: Referral) -> TaskState:
    return TASK_STATES[task_state_key(referral)]


def keys_with_task_status(status: str) -> list[ReferralState | ServiceStatus]:
    """The guide statuses that show as ``status`` (for searching Task by status)."""
    return [k for k, t in TASK_STATES.items() if t.status == status]


# --- helpers ------------------------------------------------------------------------------------


def _instant(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # stored as UTC without an offset (SQLite)
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def _meta(kind: str, updated: datetime | None) -> dict:
    return {"profile": [PROFILE[kind]], "lastUpdated": _instant(updated)}


def ref(kind: str, id_: object, display: str | None = None) -> dict:
    out = {"reference": f"{kind}/{id_}"}
    if display:
        out["display"] = display
    return out


def _concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    out: dict = {"coding": [coding]}
    if text:
        out["text"] = text
    return out


# --- Patient --------------------------------------------------------------------------------------

ALL_TYPES = frozenset(InformationType)

_GENDER = {"female": "female", "transgender_female": "female", "male": "male", "transgender_male": "male",
           "non_binary": "other", "two_spirit": "other", "another": "other"}


def patient(client: Client, shared: frozenset[InformationType], systems: Systems) -> FHIRAbstractModel:
    """The client as a US Core Patient. Name, date of birth and CONNECT's identifier are what a
    program that may see the client always sees; contact details and demographics only when the
    program created the client or an ROI it holds shares them (``shared``)."""
    data: dict = {
        "id": str(client.id),
        "meta": _meta("Patient", client.updated_at),
        "identifier": [{"system": systems.identifier("client"), "value": str(client.id)}],
        "active": client.merged_into_id is None,
        "name": [{"family": client.last_name, "given": [client.first_name]}],
        "birthDate": client.dob.isoformat(),
    }
    if InformationType.DEMOGRAPHICS in shared:
        data["gender"] = _GENDER.get(client.gender_identity, "unknown")
    else:  # US Core requires gender; masked says it exists but is not shared
        data["gender"] = "unknown"
        data["_gender"] = {"extension": [{"url": DATA_ABSENT, "valueCode": "masked"}]}
    if InformationType.CONTACT_INFORMATION in shared:
        telecom = [{"system": "phone", "value": p.e164, "use": {"mobile": "mobile", "home": "home",
                                                               "work": "work"}.get(p.label, "temp")}
                   for p in client.phones]
        if client.email:
            telecom.append({"system": "email", "value": client.email})
        if telecom:
            data["telecom"] = telecom
        if not client.no_fixed_address and client.address:
            data["address"] = [{"line": [client.address], "city": client.city, "district": client.county,
                                "state": "MT", "postalCode": client.zip}]
    return build("Patient", data)


# --- the directory ----------------------------------------------------------------------------------


def organization(agency: Agency, systems: Systems) -> FHIRAbstractModel:
    return build("Organization", {
        "id": str(agency.id),
        "meta": _meta("Organization", agency.created_at),
        "identifier": [{"system": systems.identifier("agency"), "value": str(agency.id)}],
        "active": True,
        "name": agency.name,
    })


def _program_telecom(program: Program) -> list[dict]:
    out = []
    if program.phone:
        out.append({"system": "phone", "value": program.phone})
    if program.email:
        out.append({"system": "email", "value": program.email})
    if program.website:
        out.append({"system": "url", "value": program.website})
    return out


def healthcare_service(program: Program, systems: Systems, today: date) -> FHIRAbstractModel:
    """A program as an SDOHCC HealthcareService; ``active`` says whether it receives referrals
    now (in use and its agency MOU current)."""
    labels = dict(SERVICES)
    data = {
        "id": str(program.id),
        "meta": _meta("HealthcareService", program.created_at),
        "identifier": [{"system": systems.identifier("program"), "value": str(program.id)}],
        "active": bool(program.is_active and program.mou_expires_on and program.mou_expires_on > today),
        "providedBy": ref("Organization", program.agency_id, program.agency.name),
        "name": program.display_name,
        "location": [ref("Location", program.id)],
        "coverageArea": [ref("Location", program.id)],
        "type": [_concept(systems.service, s.service, labels.get(s.service)) for s in program.services],
    }
    if program.description:
        data["comment"] = program.description
    if telecom := _program_telecom(program):
        data["telecom"] = telecom
    return build("HealthcareService", data)


def location(program: Program, systems: Systems) -> FHIRAbstractModel:
    data = {
        "id": str(program.id),
        "meta": _meta("Location", program.created_at),
        "identifier": [{"system": systems.identifier("program"), "value": str(program.id)}],
        "status": "active" if program.is_active else "inactive",
        "name": program.display_name,
        "managingOrganization": ref("Organization", program.agency_id, program.agency.name),
        "address": {"text": program.address, "state": "MT"} if program.address else {"state": "MT"},
    }
    if telecom := _program_telecom(program):
        data["telecom"] = telecom
    return build("Location", data)


# --- the referral -------------------------------------------------------------------------------------

_SDOH_CATEGORY_OF_SERVICE = {
    "food_nutrition": "food-insecurity", "housing": "housing-instability", "employment": "employment-status",
    "education": "educational-attainment", "transportation": "transportation-insecurity",
    "utilities_assistance": "utility-insecurity", "financial_assistance": "financial-insecurity",
    "health_insurance_enrollment": "health-insurance-coverage-status",
    "domestic_violence": "intimate-partner-violence", "veteran_services": "veteran-status",
    "senior_services": "elder-abuse", "legal_aid": "material-hardship", "peer_support": "social-connection",
    "mental_health": "stress",
}
"""The SDOH category (SDOHCC ValueSet SDOH Category) a program's service addresses, where one does."""


def sdoh_categories(program: Program) -> list[str]:
    found = [_SDOH_CATEGORY_OF_SERVICE[s.service] for s in program.services if s.service in _SDOH_CATEGORY_OF_SERVICE]
    return list(dict.fromkeys(found)) or ["sdoh-category-unspecified"]


_SR_STATUS = {ReferralState.PENDING: "draft", ReferralState.SENT: "active", ReferralState.ASSIGNED: "active",
              ReferralState.CLOSED: "completed", ReferralState.DECLINED: "revoked",
              ReferralState.WITHDRAWN: "revoked"}


def service_request(referral: Referral, shared: frozenset[InformationType], systems: Systems) -> FHIRAbstractModel:
    """The referral as the order: what is asked of the receiving program, and for whom. The
    sender's reason travels only when the ROI shares the reason for referral."""
    receiving = referral.receiving_program
    data = {
        "id": str(referral.id),
        "meta": _meta("ServiceRequest", referral.updated_at),
        "identifier": [{"system": systems.identifier("referral"), "value": str(referral.id)}],
        "status": _SR_STATUS[ReferralState(referral.state)],
        "intent": "order",
        "category": [_concept(SDOH_CATEGORY, c) for c in sdoh_categories(receiving)]
        + [_concept(SNOMED, "3457005", "Patient referral")],
        "code": {"coding": [SOCIAL_SERVICE_PROCEDURE], "text": f"Referral to {receiving.display_name}"},
        "subject": ref("Patient", referral.client_id),
        "authoredOn": _instant(referral.sent_at or referral.created_at),
        "requester": ref("Organization", referral.sending_program.agency_id, referral.sending_program.display_name),
        "performer": [ref("HealthcareService", receiving.id, receiving.display_name)],
        "supportingInfo": [ref("Consent", referral.roi_id)],
    }
    if referral.reason and InformationType.REASON_FOR_REFERRAL in shared:
        data["note"] = [{"text": referral.reason}]
    return build("ServiceRequest", data)


def has_services(referral: Referral) -> bool:
    """Whether the client received services from the program (so the Task has outputs)."""
    return referral.enrolled_at is not None


def procedure(referral: Referral) -> FHIRAbstractModel:
    """The services the client received from the receiving program (SDOHCC Procedure)."""
    status = referral.service_status and ServiceStatus(referral.service_status)
    closed = ReferralState(referral.state) is ReferralState.CLOSED
    done = status is ServiceStatus.CLOSED_SUCCESSFUL_COMPLETION
    data = {
        "id": str(referral.id),
        "meta": _meta("Procedure", referral.updated_at),
        "status": "completed" if done else ("stopped" if closed else "in-progress"),
        "category": _concept(SNOMED, "410606002", "Social service procedure"),
        "code": {"coding": [SOCIAL_SERVICE_PROCEDURE], "text": referral.receiving_program.display_name},
        "subject": ref("Patient", referral.client_id),
        "performedPeriod": {k: v for k, v in (("start", _instant(referral.enrolled_at)),
                                              ("end", _instant(referral.closed_at) if closed else None)) if v},
        "basedOn": [ref("ServiceRequest", referral.id)],
        "performer": [{"actor": ref("Organization", referral.receiving_program.agency_id,
                                    referral.receiving_program.display_name)}],
    }
    return build("Procedure", data)


def enrollment_observation(referral: Referral) -> FHIRAbstractModel:
    """The client's enrollment in the receiving program (SDOHCC Observation Program Enrollment
    Status): enrolled while the service goes on, and how it ended once closed."""
    closed = ReferralState(referral.state) is ReferralState.CLOSED
    return build("Observation", {
        "id": f"enrollment-{referral.id}",
        "meta": _meta("Observation", referral.updated_at),
        "status": "final",
        "category": [_concept("http://terminology.hl7.org/CodeSystem/observation-category", "social-history"),
                     _concept(SDOH_CATEGORY, sdoh_categories(referral.receiving_program)[0])],
        "code": _concept(LOINC, "89177-1", "Enrollment status"),
        "subject": ref("Patient", referral.client_id),
        "effectiveDateTime": _instant(referral.enrolled_at),
        "valueCodeableConcept": _concept(SNOMED, "1255616008" if closed else "1255612005",
                                         "No longer enrolled" if closed else "Enrolled"),
        "focus": [ref("HealthcareService", referral.receiving_program_id)],
        "derivedFrom": [ref("Procedure", referral.id)],
    })


def task(referral: Referral, systems: Systems, part_of: list[str] | None = None) -> FHIRAbstractModel:
    """The referral as an SDOHCC Task for referral management: the request to the receiving
    program to fulfil the ServiceRequest, and where that stands."""
    state = task_state(referral)
    receiving, sending = referral.receiving_program, referral.sending_program
    data: dict = {
        "id": str(referral.id),
        "meta": _meta("Task", referral.updated_at),
        "identifier": [{"system": systems.identifier("referral"), "value": str(referral.id)}],
        "status": state.status,
        "businessStatus": _concept(systems.referral_status, state.code, state.display, state.display),
        "intent": "order",
        "priority": "routine",
        "code": _concept(TASK_CODE, "fulfill", "Fulfill the focal request"),
        "focus": ref("ServiceRequest", referral.id),
        "for": ref("Patient", referral.client_id),
        "authoredOn": _instant(referral.sent_at or referral.created_at),
        "lastModified": _instant(referral.updated_at),
        "requester": ref("Organization", sending.agency_id, sending.display_name),
        "owner": ref("HealthcareService", receiving.id, receiving.display_name),
    }
    if part_of:
        data["partOf"] = [{"reference": r} for r in part_of]
    if referral.assigned_provider_id is not None:  # the person the receiving program assigned it to
        data["extension"] = [{"url": systems.assigned_provider, "valueReference": ref(
            "Practitioner", referral.assigned_provider_id, referral.assignee.full_name if referral.assignee else None)}]
    if reason := _status_reason(referral, state):
        data["statusReason"] = {"text": reason}
    period = {k: v for k, v in (("start", _instant(referral.acknowledged_at)), ("end", _instant(
        referral.closed_at or referral.declined_at))) if v}
    if period:
        data["executionPeriod"] = period
    if has_services(referral):
        data["output"] = [
            {"type": _concept(TEMPORARY_CODES, "resulting-activity"), "valueReference": ref("Procedure", referral.id)},
            {"type": _concept(TEMPORARY_CODES, "additional-content"),
             "valueReference": ref("Observation", f"enrollment-{referral.id}")},
        ]
    return build("Task", data)


def _status_reason(referral: Referral, state: TaskState) -> str | None:
    kind = ReferralState(referral.state)
    if kind is ReferralState.DECLINED:
        return referral.decline_reason or "Declined by the receiving program."
    if kind is ReferralState.WITHDRAWN:
        return "Withdrawn by the referring program."
    if referral.service_status:  # the Referral Status, in the guide's words
        return referral.service_status if state.reason_required else None
    return None


def _signed_artifact(roi: ReleaseOfInformation, text: bytes, systems: Systems) -> dict:
    """What the client signed: the scan of a physically signed ROI (by its URL in CONNECT's JSON
    API), else the text they agreed to on screen or by text message."""
    scan = next((a for a in reversed(roi.attachments) if a.deleted_at is None), None)
    if scan is not None:
        api = systems.base.removesuffix("/fhir")
        return {"contentType": "application/pdf", "url": f"{api}/api/v1/roi/{roi.id}/attachments/{scan.id}",
                "size": scan.size_bytes, "title": scan.filename, "creation": _instant(scan.uploaded_at)}
    return {
        "contentType": "text/plain; charset=utf-8",
        "language": "en-US",
        "data": base64.b64encode(text).decode(),
        "hash": base64.b64encode(hashlib.sha1(text).digest()).decode(),  # FHIR's Attachment.hash is SHA-1
        "title": "Release of information as agreed" if roi.rendered_text else "Release of information (draft)",
        "creation": _instant(roi.signed_at or roi.created_at),
    }


# --- Consent ----------------------------------------------------------------------------------------

_CONSENT_STATUS = {RoiState.DRAFT: "draft", RoiState.AWAITING_SIGNATURE: "proposed", RoiState.SIGNED: "active",
                   RoiState.EXPIRED: "inactive", RoiState.REVOKED: "inactive", RoiState.ABANDONED: "rejected"}


def document_reference(roi: ReleaseOfInformation, sender: Program, text: str, systems: Systems) -> FHIRAbstractModel:
    """The signed ROI as a US Core DocumentReference: the Consent's source. Its content is the
    scan of a physically signed ROI, else the text agreed to (as the reader may read it:
    ``models.releases.roi_text_for``)."""
    raw = (text or f"Release of information {roi.id} (not yet completed).").encode()
    return build("DocumentReference", {
        "id": str(roi.id),
        "meta": _meta("DocumentReference", roi.updated_at),
        "identifier": [{"system": systems.identifier("roi"), "value": str(roi.id)}],
        "status": "current",
        "docStatus": "final" if roi.signed_at else "preliminary",
        "type": _concept(LOINC, "59284-0", "Consent Document"),
        "category": [_concept("http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                              "clinical-note", "Clinical Note")],
        "subject": ref("Patient", roi.client_id),
        "date": _instant(roi.signed_at or roi.created_at),
        "author": [ref("Organization", sender.agency_id, sender.display_name)],
        "content": [{"attachment": _signed_artifact(roi, raw, systems)}],
    })


def consent(roi: ReleaseOfInformation, programs: list[Program], systems: Systems) -> FHIRAbstractModel:
    """The ROI as an SDOHCC Consent: a disclosure (IDSCL) by the client, to the programs on it,
    of the information types it names, for its year; its source is the signed document
    (``document_reference``)."""
    sender = next(p for p in programs if p.id == roi.sending_program_id)
    labels = {t.value: t.label for t in InformationType}
    provision: dict = {
        "type": "permit",
        "actor": [{"role": _concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP",
                                    "information recipient"),
                   "reference": ref("Organization", p.agency_id, p.display_name)}
                  for p in programs if p.id != roi.sending_program_id],
        # The ROI's own words on its purpose are in the agreed text (the source).
        "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "COC",
                     "display": "coordination of care"}],
        "provision": [{"type": "permit", "code": [_concept(systems.information_type, t, labels.get(t), labels.get(t))]}
                      for t in roi.information_types],
    }
    if roi.signed_at and roi.expires_on:
        provision["period"] = {"start": _instant(roi.signed_at), "end": roi.expires_on.isoformat()}
    if not provision["actor"]:
        del provision["actor"]
    if not provision["provision"]:
        del provision["provision"]
    data = {
        "id": str(roi.id),
        "meta": _meta("Consent", roi.updated_at),
        "identifier": [{"system": systems.identifier("roi"), "value": str(roi.id)}],
        "status": _CONSENT_STATUS[RoiState(roi.state)],
        "scope": _concept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
        "category": [_concept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IDSCL", "information disclosure"),
                     _concept(LOINC, "59284-0", "Consent Document")],
        "patient": ref("Patient", roi.client_id),
        "dateTime": _instant(roi.signed_at or roi.created_at),
        "organization": [ref("Organization", sender.agency_id, sender.display_name)],
        "sourceReference": ref("DocumentReference", roi.id),
        "policyRule": _concept("http://terminology.hl7.org/CodeSystem/consentpolicycodes", "hipaa-auth",
                               "HIPAA Authorization"),
        "provision": provision,
    }
    return build("Consent", data)
