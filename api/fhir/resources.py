"""Each resource type the FHIR API serves: which rows a program may see, its search parameters,
and how a row becomes the resource. The routes, the search and the CapabilityStatement all read
``RESOURCES``, so what `metadata` says is what the server does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from fhir_core.fhirabstractmodel import FHIRAbstractModel
from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session

from api.deps import Actor
from api.fhir import mapping
from api.fhir.search import (
    SEARCH_DEFINITION,
    Param,
    Value,
    date_condition,
    date_range,
    id_match,
    int_id,
    missing,
    reference_id,
    token,
    token_pair,
)
from api.referrals.actions import acting_of
from domain.referral_permissions import Acting
from domain.referral_status import ReferralState
from models import audit
from models.agencies.tables import Agency, Program
from models.clients.access import can_see_client
from models.clients.access import visible_to as clients_visible_to
from models.clients.tables import Client
from models.fhir.queries import rois_visible_to, shared_information_types
from models.paging import escape_like
from models.referrals.queries import visible_to as referrals_visible_to
from models.referrals.tables import Referral
from models.releases.queries import roi_programs, roi_text_for
from models.releases.tables import ReleaseOfInformation


@dataclass
class Reader:
    """One request's reader: the program acting, its database session and this server's base."""

    db: Session
    actor: Actor
    today: date
    systems: mapping.Systems

    @property
    def who(self) -> Acting:
        return acting_of(self.actor)

    @property
    def program_id(self) -> int:
        assert self.actor.program_id is not None  # MouActor: a program is chosen
        return self.actor.program_id

    def viewed_client(self, client_id: int, via: str) -> None:
        """A resource carrying the client's details was answered: audited, once per client."""
        audit.record_client_view(self.db, client_id=client_id, user_id=self.actor.user.id,
                                 program_id=self.program_id, via=via)


@dataclass(frozen=True)
class ResourceType:
    kind: str
    profile: str
    row: type
    """The model whose rows are the resources; its `id` is the FHIR id (``fhir_id`` otherwise)."""
    updated: Callable[[], object]
    """The column `_lastUpdated` searches (the time the row last changed)."""
    visible: Callable[[Reader], ColumnElement[bool]]
    to_resource: Callable[[Reader, object], FHIRAbstractModel]
    params: Callable[[mapping.Systems], dict[str, Param]]
    id_of: Callable[[str], ColumnElement[bool]] | None = None
    extra_where: Callable[[], ColumnElement[bool]] | None = None
    includes: dict[str, tuple[str, Callable[[object], int]]] | None = None
    """`_include` values: the target type and the id it takes from a row."""
    client_of: Callable[[Reader, object], int | None] | None = None
    """The client whose details the resource shows (audited on every answer), if it shows any."""

    def base_query(self, reader: Reader) -> Select:
        query = select(self.row).where(self.visible(reader))
        if self.extra_where is not None:
            query = query.where(self.extra_where())
        return query

    def id_condition(self, text: str) -> ColumnElement[bool]:
        return self.id_of(text) if self.id_of else id_match(self.row.id, text)

    def all_params(self, systems: mapping.Systems) -> dict[str, Param]:
        common = {
            "_id": Param("_id", "token", SEARCH_DEFINITION + "Resource-id",
                         lambda v: self.id_condition(v.text), documentation="The resource's id; a comma list of ids."),
            "_lastUpdated": Param("_lastUpdated", "date", SEARCH_DEFINITION + "Resource-lastUpdated",
                                  date_condition(self.updated(), "_lastUpdated"),
                                  documentation="When the resource last changed, with a prefix (ge, gt, le, lt, eq, "
                                                "ne, sa, eb); repeat it for a range."),
        }
        return {**common, **self.params(systems)}


def _reference(column, kinds: tuple[str, ...], name: str) -> Callable[[Value], ColumnElement[bool]]:
    return lambda v: id_match(column, reference_id(v, kinds, name))


def _definition(kind: str, name: str) -> str:
    return f"{SEARCH_DEFINITION}{kind}-{name}"


# --- Task and ServiceRequest: the referral -----------------------------------------------------------


def _task_status(value: Value) -> ColumnElement[bool]:
    code = token(value, "http://hl7.org/fhir/task-status")
    keys = mapping.keys_with_task_status(code)
    states = [k.value for k in keys if isinstance(k, ReferralState)]
    statuses = [k.value for k in keys if not isinstance(k, ReferralState)]
    with_status = and_(Referral.state.in_((ReferralState.ASSIGNED.value, ReferralState.CLOSED.value)),
                       Referral.service_status.is_not(None))
    return or_(and_(Referral.state.in_(states), ~with_status) if states else False,
               and_(with_status, Referral.service_status.in_(statuses)) if statuses else False)


def _task_code(value: Value) -> ColumnElement[bool]:
    return true() if token(value, mapping.TASK_CODE) == "fulfill" else false()


def _task_params(systems: mapping.Systems) -> dict[str, Param]:
    d = lambda name: _definition("Task", name)  # noqa: E731
    return {
        "code": Param("code", "token", d("code"), _task_code, documentation="fulfill: every Task CONNECT holds "
                      "asks the owner to fulfil its ServiceRequest."),
        "status": Param("status", "token", d("status"), _task_status,
                        documentation="Task.status: " + ", ".join(mapping.TASK_STATUSES) + "."),
        "patient": Param("patient", "reference", d("patient"), _reference(Referral.client_id, ("Patient",), "patient"),
                         documentation="The client, as Patient/<id>."),
        "focus": Param("focus", "reference", d("focus"), _reference(Referral.id, ("ServiceRequest",), "focus"),
                       documentation="The ServiceRequest the Task fulfils."),
        "owner": Param("owner", "reference", d("owner"), _owner_condition, modifiers=("missing",), documentation="The receiving program, as HealthcareService/<id>. "
                       "Every referral names the program it was sent to, so owner:missing=true matches none."),
        "requester": Param("requester", "reference", d("requester"), _requester_agency, documentation=(
            "The referring agency, as Organization/<id>.")),
    }


def _requester_agency(value: Value) -> ColumnElement[bool]:
    agency = int_id(reference_id(value, ("Organization",), "requester"))
    return Referral.sending_program_id.in_(select(Program.id).where(Program.agency_id == agency))


def _owner_condition(value: Value) -> ColumnElement[bool]:
    if value.modifier == "missing":
        return missing(Referral.receiving_program_id.is_not(None))(value)
    return _reference(Referral.receiving_program_id, ("HealthcareService",), "owner")(value)


def _referral_visible(reader: Reader) -> ColumnElement[bool]:
    return referrals_visible_to(reader.db, reader.who)


def _sr_status(value: Value) -> ColumnElement[bool]:
    code = token(value, "http://hl7.org/fhir/request-status")
    states = [s.value for s, c in mapping._SR_STATUS.items() if c == code]
    return Referral.state.in_(states)


def _sr_params(systems: mapping.Systems) -> dict[str, Param]:
    d = lambda name: _definition("ServiceRequest", name)  # noqa: E731
    return {
        "status": Param("status", "token", d("status"), _sr_status,
                        documentation="draft, active, completed or revoked."),
        "patient": Param("patient", "reference", "http://hl7.org/fhir/SearchParameter/clinical-patient",
                         _reference(Referral.client_id, ("Patient",), "patient"), documentation="The client."),
        "requester": Param("requester", "reference", d("requester"), _requester_agency,
                           documentation="The referring agency, as Organization/<id>."),
        "performer": Param("performer", "reference", d("performer"),
                           _reference(Referral.receiving_program_id, ("HealthcareService",), "performer"),
                           documentation="The receiving program, as HealthcareService/<id>."),
    }


def _sees_details(reader: Reader, referral: Referral) -> bool:
    # The one rule of who may see a client, as the referral pages and the JSON API ask it.

    return can_see_client(reader.db, reader.program_id, referral.client_id, reader.today)


def _service_request(reader: Reader, referral: Referral) -> FHIRAbstractModel:
    shared = (shared_information_types(reader.db, reader.program_id, referral.client_id, reader.today)
              if _sees_details(reader, referral) else frozenset())
    return mapping.service_request(referral, shared, reader.systems)


def _service_request_client(reader: Reader, referral: Referral) -> int | None:
    return referral.client_id if referral.reason and _sees_details(reader, referral) else None


# --- Procedure and Observation: the services received ------------------------------------------------


def _services_visible(reader: Reader) -> ColumnElement[bool]:
    # Only the two programs of the referral see what the client received (as they see the client).
    return and_(referrals_visible_to(reader.db, reader.who), Referral.enrolled_at.is_not(None), or_(
        Referral.sending_program_id == reader.program_id,
        and_(Referral.receiving_program_id == reader.program_id, Referral.sent_at.is_not(None))))


def _patient_param(systems: mapping.Systems) -> dict[str, Param]:
    return {"patient": Param("patient", "reference", "http://hl7.org/fhir/SearchParameter/clinical-patient",
                             _reference(Referral.client_id, ("Patient",), "patient"), documentation="The client.")}


def _observation_id(text: str) -> ColumnElement[bool]:
    return id_match(Referral.id, text.removeprefix("enrollment-")) if text.startswith("enrollment-") else false()


# --- Patient -----------------------------------------------------------------------------------------


def _patient_visible(reader: Reader) -> ColumnElement[bool]:
    return clients_visible_to(reader.program_id, reader.today)


def _patient(reader: Reader, client: Client) -> FHIRAbstractModel:
    return mapping.patient(client, shared_information_types(reader.db, reader.program_id, client.id, reader.today),
                           reader.systems)


def _string(column) -> Callable[[Value], ColumnElement[bool]]:
    return lambda v: column.ilike(escape_like(v.text) + "%", escape="\\")  # FHIR string: starts with, any case


def _patient_identifier(system_of_clients: str):
    def condition(value: Value) -> ColumnElement[bool]:
        system, code = token_pair(value)
        if system is not None and system != system_of_clients:
            return false()
        return id_match(Client.id, code)
    return condition


def _patient_params(systems: mapping.Systems) -> dict[str, Param]:
    d = lambda name: _definition("Patient", name)  # noqa: E731
    return {
        "identifier": Param("identifier", "token", d("identifier"), _patient_identifier(systems.identifier("client")),
                            documentation="CONNECT's client identifier (system|value)."),
        "family": Param("family", "string", "http://hl7.org/fhir/SearchParameter/individual-family",
                        _string(Client.last_name), documentation="Last name starts with (any case)."),
        "given": Param("given", "string", "http://hl7.org/fhir/SearchParameter/individual-given",
                       _string(Client.first_name), documentation="First name starts with (any case)."),
        "name": Param("name", "string", d("name"),
                      lambda v: or_(_string(Client.first_name)(v), _string(Client.last_name)(v)),
                      documentation="First or last name starts with (any case)."),
        "birthdate": Param("birthdate", "date", "http://hl7.org/fhir/SearchParameter/individual-birthdate",
                           _birthdate, documentation="Date of birth, with a prefix as for _lastUpdated."),
    }


def _birthdate(value: Value) -> ColumnElement[bool]:
    prefix, start, end = date_range(value.text, "birthdate")
    s, e = start.date(), end.date()

    col = Client.dob
    return {"eq": and_(col >= s, col < e), "ne": or_(col < s, col >= e), "gt": col >= e, "sa": col >= e,
            "ge": col >= s, "lt": col < s, "eb": col < s, "le": col < e}[prefix]


# --- Consent -------------------------------------------------------------------------------------------


def _consent_visible(reader: Reader) -> ColumnElement[bool]:
    return rois_visible_to(reader.program_id, reader.today)


def _consent(reader: Reader, roi: ReleaseOfInformation) -> FHIRAbstractModel:
    return mapping.consent(roi, roi_programs(reader.db, roi), reader.systems)


def _document(reader: Reader, roi: ReleaseOfInformation) -> FHIRAbstractModel:
    text = roi_text_for(reader.db, roi, reader.program_id, reader.today)
    sender = next(p for p in roi_programs(reader.db, roi) if p.id == roi.sending_program_id)
    return mapping.document_reference(roi, sender, text, reader.systems)


_CONSENT_STATES = {code: [s.value for s, c in mapping._CONSENT_STATUS.items() if c == code]
                   for code in set(mapping._CONSENT_STATUS.values())}


def _consent_params(systems: mapping.Systems) -> dict[str, Param]:
    return {
        "patient": Param("patient", "reference", "http://hl7.org/fhir/SearchParameter/clinical-patient",
                         _reference(ReleaseOfInformation.client_id, ("Patient",), "patient"), documentation="The client."),
        "status": Param("status", "token", _definition("Consent", "status"),
                        lambda v: ReleaseOfInformation.state.in_(_CONSENT_STATES.get(
                            token(v, "http://hl7.org/fhir/consent-state-codes"), [])),
                        documentation="draft, proposed, active, inactive or rejected."),
        "source-reference": Param("source-reference", "reference", _definition("Consent", "source-reference"),
                                  _reference(ReleaseOfInformation.id, ("DocumentReference",), "source-reference"),
                                  documentation="The signed document, as DocumentReference/<id>."),
    }


def _document_params(systems: mapping.Systems) -> dict[str, Param]:
    return {"patient": Param("patient", "reference", "http://hl7.org/fhir/SearchParameter/clinical-patient",
                             _reference(ReleaseOfInformation.client_id, ("Patient",), "patient"),
                             documentation="The client.")}


# --- the directory --------------------------------------------------------------------------------------


def _everyone(reader: Reader) -> ColumnElement[bool]:
    return true()  # the directory: every signed-in program sees every program


def _program_params(systems: mapping.Systems) -> dict[str, Param]:
    d = lambda name: _definition("HealthcareService", name)  # noqa: E731
    return {
        "name": Param("name", "string", d("name"), _string(Program.name), documentation="Program name starts with."),
        "organization": Param("organization", "reference", d("organization"),
                              _reference(Program.agency_id, ("Organization",), "organization"),
                              documentation="The agency, as Organization/<id>."),
        "active": Param("active", "token", d("active"), lambda v: Program.is_active.is_(token(v) == "true"),
                        documentation="true: programs in use."),
    }


def _agency_params(systems: mapping.Systems) -> dict[str, Param]:
    return {"name": Param("name", "string", _definition("Organization", "name"), _string(Agency.name),
                          documentation="Agency name starts with.")}


def _location_params(systems: mapping.Systems) -> dict[str, Param]:
    return {"name": Param("name", "string", _definition("Location", "name"), _string(Program.name),
                          documentation="Program name starts with.")}


RESOURCES: dict[str, ResourceType] = {r.kind: r for r in [
    ResourceType("Task", mapping.PROFILE["Task"], Referral, lambda: Referral.updated_at, _referral_visible,
                 lambda reader, row: mapping.task(row, reader.systems), _task_params,
                 includes={"Task:focus": ("ServiceRequest", lambda row: row.id),
                           "Task:patient": ("Patient", lambda row: row.client_id)}),
    ResourceType("ServiceRequest", mapping.PROFILE["ServiceRequest"], Referral, lambda: Referral.updated_at,
                 _referral_visible, _service_request, _sr_params, client_of=_service_request_client),
    ResourceType("Procedure", mapping.PROFILE["Procedure"], Referral, lambda: Referral.updated_at,
                 _services_visible, lambda reader, row: mapping.procedure(row), _patient_param),
    ResourceType("Observation", mapping.PROFILE["Observation"], Referral, lambda: Referral.updated_at,
                 _services_visible, lambda reader, row: mapping.enrollment_observation(row),
                 _patient_param, id_of=_observation_id),
    ResourceType("Patient", mapping.PROFILE["Patient"], Client, lambda: Client.updated_at, _patient_visible,
                 _patient, _patient_params, extra_where=lambda: Client.merged_into_id.is_(None),
                 client_of=lambda reader, row: row.id),
    ResourceType("Consent", mapping.PROFILE["Consent"], ReleaseOfInformation, lambda: ReleaseOfInformation.updated_at,
                 _consent_visible, _consent, _consent_params,
                 includes={"Consent:source-reference:DocumentReference": ("DocumentReference", lambda row: row.id)}),
    ResourceType("DocumentReference", mapping.PROFILE["DocumentReference"], ReleaseOfInformation,
                 lambda: ReleaseOfInformation.updated_at, _consent_visible, _document, _document_params,
                 client_of=lambda reader, row: row.client_id),
    ResourceType("HealthcareService", mapping.PROFILE["HealthcareService"], Program, lambda: Program.created_at,
                 _everyone, lambda reader, row: mapping.healthcare_service(row, reader.systems, reader.today),
                 _program_params),
    ResourceType("Location", mapping.PROFILE["Location"], Program, lambda: Program.created_at, _everyone,
                 lambda reader, row: mapping.location(row, reader.systems), _location_params),
    ResourceType("Organization", mapping.PROFILE["Organization"], Agency, lambda: Agency.created_at, _everyone,
                 lambda reader, row: mapping.organization(row, reader.systems), _agency_params),
]}
