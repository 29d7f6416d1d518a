"""An inbound referral: a clinic's EHR POSTs a transaction Bundle (Patient, Consent,
ServiceRequest, Task with `owner` = a CONNECT program) to `/fhir`, and CONNECT takes the same
steps a person takes in its pages, each with its own rules:

1. the Patient becomes the client through the duplicate guard (`models.clients.records.create_client`):
   an exact match is that client; a possible match is refused (a person must check it);
2. the Consent becomes an ROI of the EHR's program for the receiving program, signed by upload
   (`api.releases.actions`: start, complete, upload pending, attach), the Consent's PDF being the
   signed artifact the upload path checks and keeps;
3. the ServiceRequest and Task become the referral, sent at once (`ReferralSteps.create`), which
   starts `referral-<id>` as any referral does.

A refusal at any step is the step's own reason, as an OperationOutcome. What an earlier step
wrote stays (a client created, an ROI signed), as it would had a person stopped there.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from fastapi import Request, UploadFile
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from sqlalchemy.orm import Session

from api.deps import Actor
from domain.montana import local_date
from api.errors import ApiError
from api.fhir import mapping
from api.fhir.models import NotR4, build, parse, to_json
from api.referrals.actions import ReferralSteps
from api.releases.actions import CompleteInput, attach_upload, complete_roi, mark_upload_pending, start_rois
from domain.client_profile import ClientForm, DuplicateClient, PhoneEntry, validate_client
from domain.errors import FieldErrors, ValidationFailed
from domain.roi import SENSITIVE_INFORMATION_TYPES, InformationType
from models.clients.records import create_client
from models.clients.tables import Client
from models.agencies.tables import Program
from models.releases.tables import ReleaseOfInformation
from workflows.referral_contracts import ReferralForm

KINDS = ("Patient", "Consent", "ServiceRequest", "Task")

_GENDER = {"male": "male", "female": "female", "other": "another"}
_OMB_RACE = {"1002-5": "american_indian_alaska_native", "2028-9": "asian", "2054-5": "black_african_american",
             "2076-8": "native_hawaiian_pacific_islander", "2106-3": "white", "2131-1": "some_other_race"}
US_CORE_RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"


def refuse(detail: str, field: str, code: str = "invalid_referral_bundle", status: int = 422) -> ApiError:
    return ApiError(status, detail, code=code, field=field)


@dataclass
class InboundReferral:
    """The four resources of an inbound referral, each parsed by the FHIR library."""

    patient: FHIRAbstractModel
    consent: FHIRAbstractModel
    service_request: FHIRAbstractModel
    task: FHIRAbstractModel
    urls: dict[str, str]  # fullUrl -> resource type


def read_bundle(body: object) -> InboundReferral:
    try:
        bundle = parse(body, "Bundle")
    except NotR4 as exc:
        raise ApiError(400, "The Bundle is not valid FHIR R4: " + str(exc), code="invalid_resource") from None
    if bundle.type != "transaction":
        raise refuse("POST a Bundle of type transaction to /fhir.", "Bundle.type", status=400)
    found: dict[str, FHIRAbstractModel] = {}
    urls: dict[str, str] = {}
    for i, entry in enumerate(bundle.entry or []):
        resource = entry.resource
        kind = resource.get_resource_type() if resource is not None else None
        if kind not in KINDS:
            raise refuse(f"An inbound referral holds one Patient, Consent, ServiceRequest and Task; entry {i} "
                         f"is {kind or 'empty'}.", f"Bundle.entry[{i}]")
        if entry.request is None or entry.request.method != "POST" or entry.request.url != kind:
            raise refuse(f"Entry {i} must be a create: request POST {kind}.", f"Bundle.entry[{i}].request")
        if kind in found:
            raise refuse(f"The Bundle holds two {kind} resources; one referral has one of each.",
                         f"Bundle.entry[{i}]")
        found[kind] = resource
        if entry.fullUrl:
            urls[entry.fullUrl] = kind
    missing = [k for k in KINDS if k not in found]
    if missing:
        raise refuse(f"The Bundle lacks: {', '.join(missing)}.", "Bundle.entry")
    return InboundReferral(found["Patient"], found["Consent"], found["ServiceRequest"], found["Task"], urls)


def _points_to(bundle: InboundReferral, reference, kind: str, where: str) -> None:
    target = reference.reference if reference is not None else None
    if target is None or bundle.urls.get(target) != kind:
        raise refuse(f"{where} must refer to the Bundle's {kind} (its fullUrl).", where)


def receiving_program(db: Session, task: FHIRAbstractModel) -> Program:
    owner = task.owner.reference if task.owner is not None else ""
    kind, _, number = (owner or "").rpartition("/")
    program = db.get(Program, int(number)) if kind.endswith("HealthcareService") and number.isdigit() else None
    if program is None:
        raise refuse("Task.owner must be the CONNECT program to send to, as HealthcareService/<id> "
                     "(search HealthcareService to find it).", "Task.owner")
    return program


def check_task(bundle: InboundReferral) -> None:
    task = bundle.task
    if task.intent != "order" or not task.code or not any(c.code == "fulfill" for c in task.code.coding or []):
        raise refuse("The Task is an SDOHCC Task for referral management: intent order, code fulfill.", "Task.code")
    if task.status != "requested":
        raise refuse("A new referral's Task has status requested.", "Task.status")
    _points_to(bundle, task.focus, "ServiceRequest", "Task.focus")
    _points_to(bundle, task.for_fhir, "Patient", "Task.for")
    _points_to(bundle, bundle.service_request.subject, "Patient", "ServiceRequest.subject")
    _points_to(bundle, bundle.consent.patient, "Patient", "Consent.patient")


def client_form(patient: FHIRAbstractModel) -> ClientForm:
    """The Patient as CONNECT's profile form; what the Patient does not say stays "prefer not to
    say" (races, military service) and the profile's own checks decide the rest."""
    name = (patient.name or [None])[0]
    address = (patient.address or [None])[0]
    races = [_OMB_RACE[ext.valueCoding.code] for race in (patient.extension or []) if race.url == US_CORE_RACE
             for ext in race.extension or [] if ext.url == "ombCategory" and ext.valueCoding
             and ext.valueCoding.code in _OMB_RACE]
    phones = tuple(PhoneEntry(t.value, "mobile" if t.use in (None, "mobile") else
                              {"home": "home", "work": "work"}.get(t.use, "other"))
                   for t in patient.telecom or [] if t.system == "phone" and t.value)
    email = next((t.value for t in patient.telecom or [] if t.system == "email" and t.value), "")
    return ClientForm(
        first_name=" ".join(name.given or []) if name else "", last_name=(name.family or "") if name else "",
        dob=patient.birthDate.isoformat() if patient.birthDate else "",
        gender_identity=_GENDER.get(patient.gender or "", "prefer_not_to_say"),
        races=tuple(dict.fromkeys(races)) or ("prefer_not_to_say",), military_service="prefer_not_to_say",
        address=" ".join(address.line or []) if address else "", city=(address.city or "") if address else "",
        county=(address.district or "") if address else "", zip=(address.postalCode or "")[:5] if address else "",
        phones=phones, email=email,
    )


_PATIENT_PATH = {"first_name": "Patient.name.given", "last_name": "Patient.name.family", "dob": "Patient.birthDate",
                 "address": "Patient.address.line", "city": "Patient.address.city", "county": "Patient.address.district",
                 "zip": "Patient.address.postalCode", "phones": "Patient.telecom", "email": "Patient.telecom",
                 "best_way_to_reach": "Patient.telecom"}


def match_or_create_client(db: Session, actor: Actor, patient: FHIRAbstractModel, moment) -> tuple[Client, bool]:
    """The client the Patient is: created, or the one existing client it exactly matches."""
    today = local_date(moment)
    try:
        details = validate_client(client_form(patient), today)
    except FieldErrors as exc:
        raise FieldErrors({_PATIENT_PATH.get(k, f"Patient.{k}"): v for k, v in exc.errors.items()}) from None
    try:
        client = create_client(db, details, user_id=actor.user.id, program_id=actor.program_id, now=moment,
                               today=today)
    except DuplicateClient as dup:
        db.commit()  # the count of duplicate answers and the audit, as for a person
        if len(dup.exact) == 1 and not dup.near:
            return db.get(Client, dup.exact[0]), False
        raise
    db.commit()
    return client, True


def consent_terms(consent: FHIRAbstractModel, systems: mapping.Systems) -> tuple[list[str], bytes]:
    """The information types the Consent permits and its signed PDF."""
    if consent.status != "active":
        raise refuse("The Consent must be active (signed by the client).", "Consent.status")
    if not any(c.code == "IDSCL" for cat in consent.category or [] for c in cat.coding or []):
        raise refuse("The Consent is an SDOHCC Consent: category IDSCL (information disclosure).", "Consent.category")
    for performer in consent.performer or []:
        if performer.reference and not performer.reference.startswith(("Patient/", "urn:")):
            raise refuse("CONNECT records consents the client signed themself; a consent signed by someone "
                         "acting for the client is recorded in CONNECT's pages.", "Consent.performer")
    codes = [c.code for p in (consent.provision.provision or [] if consent.provision else [])
             for cc in p.code or [] for c in cc.coding or [] if c.system == systems.information_type]
    known = {t.value for t in InformationType}
    if not codes or any(c not in known for c in codes):
        raise refuse(f"List what the client agreed to share as Consent.provision.provision.code from "
                     f"{systems.information_type}: {', '.join(sorted(known))}.", "Consent.provision")
    source = consent.sourceAttachment
    if source is None or (source.contentType or "").split(";")[0] != "application/pdf" or not source.data:
        raise refuse("Send the signed consent itself: Consent.sourceAttachment with contentType "
                     "application/pdf and its data.", "Consent.sourceAttachment")
    return list(dict.fromkeys(codes)), bytes(source.data)  # the library decoded the base64


async def record_consent(request: Request, db: Session, actor: Actor, client: Client, program: Program,
                         types: list[str], pdf: bytes, purpose: str, moment) -> ReleaseOfInformation:
    """The consent as an ROI signed by upload, through the ROI workflow's own steps."""
    roi = (await start_rois(request, db, actor, client, [program.id], False, moment))[0]
    sensitive = [t for t in types if InformationType(t) in SENSITIVE_INFORMATION_TYPES]
    await complete_roi(request, db, actor, roi, CompleteInput(types, sensitive, purpose, "self"), None, moment)
    await mark_upload_pending(request, actor, roi)
    await attach_upload(request, db, actor, roi, UploadFile(io.BytesIO(pdf), filename="consent.pdf"))
    db.expire(roi)
    return roi


def _insurance_confirmed(service_request: FHIRAbstractModel, systems: mapping.Systems) -> bool:
    return any(e.url == systems.insurance_confirmed and e.valueBoolean for e in service_request.extension or [])


def _reason(service_request: FHIRAbstractModel) -> str:
    texts = [n.text for n in service_request.note or [] if n.text]
    texts += [r.text for r in service_request.reasonCode or [] if r.text]
    return "\n".join(texts) or (service_request.code.text if service_request.code and service_request.code.text else "")


async def receive(request: Request, db: Session, actor: Actor, moment, body: object,
                  systems: mapping.Systems) -> dict:
    """Takes the referral in; answers the transaction-response Bundle with each resource's place."""
    bundle = read_bundle(body)
    check_task(bundle)
    program = receiving_program(db, bundle.task)
    types, pdf = consent_terms(bundle.consent, systems)
    reason = _reason(bundle.service_request)
    if not reason:
        raise ValidationFailed("Say why the client is referred: ServiceRequest.note or reasonCode text.",
                               field="ServiceRequest.note", code="reason_missing")
    client, created = match_or_create_client(db, actor, bundle.patient, moment)
    roi = await record_consent(request, db, actor, client, program, types, pdf,
                               f"Referral to {program.display_name}", moment)
    steps = ReferralSteps(request, db, actor, moment)
    referral = await steps.create(client.id, program.id, ReferralForm(reason, {}), send=True,
                                  insurance_confirmed=_insurance_confirmed(bundle.service_request, systems))
    places = [("Patient", client.id, "201 Created" if created else "200 OK"), ("Consent", roi.id, "201 Created"),
              ("ServiceRequest", referral.id, "201 Created"), ("Task", referral.id, "201 Created")]
    return to_json(build("Bundle", {"type": "transaction-response", "entry": [
        {"response": {"status": status, "location": f"{kind}/{id_}"}} for kind, id_, status in places]}))
