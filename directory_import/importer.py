"""Loads HSDS 3.0 services (fully nested, as /services/{id} gives them) into agencies and programs.

One call is one unit of work: `import_directory` checks the whole data set against the HSDS
schemas first and raises `ImportRejected` (nothing written) if any record breaks them; then it
matches every service on its HSDS id (a second run updates, never duplicates), marks the programs
of the same source that the data set no longer has, and returns what it did and why. The caller
commits (the CLI and the admin page run it inside one transaction).

A service becomes a program of its organization's agency: name, description, url, email, first
phone, the first location (its id, and its address as one line), counties from service areas
("Cascade County, MT"; "telemedicine" in the description), CONNECT services from taxonomy terms
(CONNECT's own terms by id, other taxonomies through the mapping table `HsdsTermMapping`), and
insurance from CONNECT's own insurance terms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from directory_import.hsds_schema import fast_errors_in
from domain.errors import DomainError, ValidationFailed
from domain.hsds_terms import (
    SERVICE_TAXONOMY, area_is_telemedicine, county_in_area_name, term_by_id,
)
from domain.montana import canonical_county, region_of
from domain.phones import format_phone, normalize_phone
from domain.postal_address import PostalAddress
from domain.program_status import Capacity
from domain.taxonomy import is_code, SERVICES
from models import audit
from models.base import utcnow
from models.hsds import HsdsTermMapping
from models.agencies.tables import Agency, Program, ProgramCounty, ProgramInsurance, ProgramService
from models.agencies.admin import _snapshot as program_snapshot, _sync

DEFAULT_SOURCE = "hsds"
MAX_SCHEMA_ERRORS = 50
Progress = Callable[[int, int], None]


class ImportRejected(DomainError):
    """The data set is not valid HSDS 3.0 (or not readable): ``problems`` says where; nothing
    was written."""

    default_code = "hsds_invalid"

    def __init__(self, reason: str, problems: list[str]):
        super().__init__(reason, extra={"problems": problems})
        self.problems = problems


@dataclass
class Outcome:
    service_id: str
    name: str
    reason: str = ""


@dataclass
class ImportReport:
    source: str
    created: list[Outcome] = field(default_factory=list)
    updated: list[Outcome] = field(default_factory=list)
    unchanged: list[Outcome] = field(default_factory=list)
    skipped: list[Outcome] = field(default_factory=list)
    removed: list[Outcome] = field(default_factory=list)
    unmapped_terms: set[tuple[str, str]] = field(default_factory=set)  # (taxonomy, code)

    def counts(self) -> dict[str, int]:
        return {"created": len(self.created), "updated": len(self.updated), "unchanged": len(self.unchanged),
                "skipped": len(self.skipped), "removed": len(self.removed)}

    def summary(self) -> str:
        return ", ".join(f"{n} {k}" for k, n in self.counts().items())


@dataclass
class _Wanted:
    """What one service says a program should be."""

    service_id: str
    location_id: str | None
    name: str
    description: str
    email: str
    website: str
    phone: str
    address: str
    is_active: bool
    counties: dict[str, bool]
    services: list[str]
    insurances: list[str]
    capacity: str | None  # None: the data set does not say (what CONNECT has stays)
    assured_on: date | None
    assurer_email: str


def check_schema(services: list) -> None:
    """ImportRejected unless every item is a valid HSDS 3.0 service (the first problems listed)."""
    if not isinstance(services, list):
        raise ImportRejected("An HSDS data set is a list of services.", ["(top): not a list of services"])
    problems: list[str] = []
    for n, item in enumerate(services):
        name = item.get("name", "") if isinstance(item, dict) else ""
        problems += [f"service {n + 1} {name!r}: {p}" for p in fast_errors_in("service", item)]
        if len(problems) >= MAX_SCHEMA_ERRORS:
            break
    if problems:
        raise ImportRejected(f"The data set is not valid HSDS 3.0 ({len(problems)} problem(s) shown); "
                             "nothing was imported.", problems[:MAX_SCHEMA_ERRORS])


def import_directory(db: Session, services: list, *, source: str = DEFAULT_SOURCE, by: int | None = None,
                     progress: Progress | None = None,
                     require_region: Callable[[int], None] | None = None) -> ImportReport:
    """Creates or updates a program for every service, and marks the source's programs that the
    data set no longer has as inactive. See the module docstring for the mapping.

    ``require_region`` (an administrator's scope) raises for a program it may not change; the
    caller then rolls the whole import back."""
    check_schema(services)
    report = ImportReport(source=source)
    state = _State.load(db, require_region)
    seen: set[str] = set()
    with db.no_autoflush:  # everything is in hand (_State): one flush at the end
        for n, item in enumerate(services, 1):
            _import_one(db, state, item, source, by, seen, report)
            if progress is not None and (n % 500 == 0 or n == len(services)):
                progress(n, len(services))
    for program in db.scalars(select(Program).where(Program.hsds_source == source, Program.is_active)
                              .options(selectinload(Program.agency))):
        if program.hsds_id not in seen:
            state.require_region(program.region)
            program.is_active = False
            report.removed.append(Outcome(program.hsds_id, program.display_name,
                                          "no longer in the data set: marked inactive"))
            audit.record(db, action="program.import_removed", entity_type="program", entity_id=program.id,
                         user_id=by, source=source)
    db.flush()
    for program in state.created:
        audit.record(db, action="program.imported", entity_type="program", entity_id=program.id, user_id=by,
                     region=program.region, source=source)
    audit.record(db, action="hsds.imported", entity_type="hsds_import", entity_id=source, user_id=by,
                 **report.counts())
    return report


@dataclass
class _State:
    programs: dict[str, Program]
    agencies_by_id: dict[str, Agency]
    agencies_by_name: dict[str, Agency]
    mappings: dict[tuple[str, str], HsdsTermMapping]
    require_region: Callable[[int], None]
    created: list[Program] = field(default_factory=list)

    @classmethod
    def load(cls, db: Session, require_region: Callable[[int], None] | None) -> "_State":
        programs = db.scalars(select(Program).options(
            selectinload(Program.agency), selectinload(Program.services), selectinload(Program.insurances),
            selectinload(Program.counties))).all()
        agencies = db.scalars(select(Agency).options(selectinload(Agency.programs))).all()
        return cls(programs={p.hsds_id: p for p in programs},
                   agencies_by_id={a.hsds_id: a for a in agencies},
                   agencies_by_name={a.name.lower(): a for a in agencies},
                   mappings={(m.taxonomy, m.code): m for m in db.scalars(select(HsdsTermMapping))},
                   require_region=require_region or (lambda _region: None))


def _import_one(db: Session, state: _State, item: dict, source: str, by: int | None, seen: set[str],
                report: ImportReport) -> None:
    service_id, name = item["id"], " ".join(item["name"].split())
    if service_id in seen:
        report.skipped.append(Outcome(service_id, name, "the same service id appears twice; the first was kept"))
        return
    seen.add(service_id)
    try:
        wanted = _wanted(db, state, item, report)
    except ValidationFailed as why:
        report.skipped.append(Outcome(service_id, name, why.reason))
        return
    agency = _agency(db, state, item)
    program = state.programs.get(service_id)
    clash = next((p for p in agency.programs if p.name.lower() == wanted.name.lower() and p is not program), None)
    if clash is not None:
        report.skipped.append(Outcome(service_id, name, f"{agency.name} has another program named {name!r}"))
        return
    if program is None:
        program = Program(agency=agency, hsds_id=service_id, hsds_source=source, name=wanted.name, region=0)
        _apply(program, wanted)
        state.require_region(program.region)
        db.add(program)
        state.programs[service_id] = program
        state.created.append(program)  # audited after one flush gives them ids
        report.created.append(Outcome(service_id, program.display_name))
        return
    state.require_region(program.region)
    before = _snapshot(program)
    if program.agency is not agency:
        program.agency = agency
    _apply(program, wanted)
    program.hsds_source = program.hsds_source or source
    changed = sorted(k for k, v in _snapshot(program).items() if before[k] != v)
    if changed:
        state.require_region(program.region)
        program.updated_at = utcnow()
        report.updated.append(Outcome(service_id, program.display_name, "changed: " + ", ".join(changed)))
        audit.record(db, action="program.import_updated", entity_type="program", entity_id=program.id,
                     user_id=by, fields=changed, source=source)
    else:
        report.unchanged.append(Outcome(service_id, program.display_name))


def _agency(db: Session, state: _State, item: dict) -> Agency:
    org = item.get("organization") or {}
    org_id = item.get("organization_id") or org.get("id") or ""
    found = state.agencies_by_id.get(org_id)
    name = " ".join((org.get("name") or "").split())
    if found is None and name:
        found = state.agencies_by_name.get(name.lower())  # an agency CONNECT knew already
    if found is not None:
        if name and found.name != name and found.hsds_id == org_id and name.lower() not in state.agencies_by_name:
            del state.agencies_by_name[found.name.lower()]
            found.name = name
            state.agencies_by_name[name.lower()] = found
        return found
    agency = Agency(name=(name or f"Organization {org_id}")[:200], hsds_id=org_id)
    db.add(agency)
    state.agencies_by_id[agency.hsds_id] = agency
    state.agencies_by_name[agency.name.lower()] = agency
    return agency


def _wanted(db: Session, state: _State, item: dict, report: ImportReport) -> _Wanted:
    org = item.get("organization")
    if not (item.get("organization_id") or (org and org.get("id"))):
        raise ValidationFailed("it names no organization (organization_id)")
    if org is not None and not org.get("name"):
        raise ValidationFailed("its organization has no name")
    counties = _counties(item.get("service_areas") or [])
    services, insurances = _terms(db, state, item.get("attributes") or [], report)
    if not services:
        raise ValidationFailed("none of its taxonomy terms maps to a CONNECT service "
                               "(map them on the HSDS mapping page, then import again)")
    locations = [sal.get("location") or {"id": sal.get("location_id")} for sal in item.get("service_at_locations") or []]
    location = next((loc for loc in locations if loc.get("id")), None)
    return _Wanted(
        service_id=item["id"], location_id=location["id"] if location else None,
        name=" ".join(item["name"].split())[:200], description=(item.get("description") or "").strip(),
        email=(item.get("email") or "").strip().lower()[:254], website=(item.get("url") or "").strip()[:300],
        phone=_phone(item.get("phones") or []), address=_address(location)[:300],
        is_active=item.get("status") == "active", counties=counties, services=services, insurances=insurances,
        capacity=item.get("connect_capacity") if item.get("connect_capacity") in set(Capacity) else None,
        assured_on=_date(item.get("assured_date")), assurer_email=(item.get("assurer_email") or "")[:254],
    )


def _date(text) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _counties(areas: list[dict]) -> dict[str, bool]:
    counties: dict[str, bool] = {}
    unknown = []
    for area in areas:
        try:
            county = canonical_county(county_in_area_name(area.get("name") or ""))
        except ValidationFailed:
            unknown.append(area.get("name") or area.get("id"))
            continue
        tele = area_is_telemedicine(area.get("description") or "")
        # Served in person anywhere wins over telemedicine there.
        counties[county] = counties.get(county, True) and tele
    if not counties:
        named = ", ".join(str(u) for u in unknown) or "none given"
        raise ValidationFailed(f"it serves no Montana county CONNECT knows (service areas: {named})")
    return counties


def _terms(db: Session, state: _State, attributes: list[dict], report: ImportReport) -> tuple[list[str], list[str]]:
    services: list[str] = []
    insurances: list[str] = []
    for attribute in attributes:
        term = attribute.get("taxonomy_term") or {}
        term_id = attribute.get("taxonomy_term_id") or term.get("id") or ""
        own = term_by_id(term_id)
        if own is not None:
            target = services if own.taxonomy is SERVICE_TAXONOMY else insurances
            if own.code not in target:
                target.append(own.code)
            continue
        taxonomy = term.get("taxonomy") or (term.get("taxonomy_detail") or {}).get("name") or ""
        code = term.get("code") or term.get("name") or term_id
        mapped = _mapping(db, state, taxonomy[:200], code[:200], (term.get("name") or "")[:300])
        if mapped.service and is_code(SERVICES, mapped.service):
            if mapped.service not in services:
                services.append(mapped.service)
        else:
            report.unmapped_terms.add((mapped.taxonomy, mapped.code))
    return services, insurances


def _mapping(db: Session, state: _State, taxonomy: str, code: str, name: str) -> HsdsTermMapping:
    """The mapping row of a term, made (unmapped) the first time the term is seen."""
    key = (taxonomy, code)
    row = state.mappings.get(key)
    if row is None:
        row = HsdsTermMapping(taxonomy=taxonomy, code=code, name=name, service="")
        db.add(row)
        state.mappings[key] = row
    return row


def _phone(phones: list[dict]) -> str:
    for phone in phones:
        try:
            return format_phone(normalize_phone(phone.get("number") or ""))
        except ValidationFailed:
            continue
    return ""


def _address(location: dict | None) -> str:
    if not location:
        return ""
    for a in location.get("addresses") or []:
        if a.get("address_type", "physical") == "physical":
            return PostalAddress(a["address_1"], a.get("address_2") or "", a["city"], a["state_province"],
                                 a["postal_code"]).one_line()
    return " ".join((location.get("description") or "").split())


def _apply(program: Program, w: _Wanted) -> None:
    program.name, program.description = w.name, w.description
    program.email, program.website, program.phone, program.address = w.email, w.website, w.phone, w.address
    program.is_active = w.is_active
    if w.location_id:
        program.hsds_location_id = w.location_id
    if w.capacity is not None:
        program.capacity = w.capacity
    if w.assured_on is not None and (program.assured_on is None or w.assured_on > program.assured_on):
        program.assured_on, program.assured_by_id, program.assurer_email = w.assured_on, None, w.assurer_email
    first_in_person = next((c for c, tele in w.counties.items() if not tele), next(iter(w.counties)))
    program.region = region_of(first_in_person)
    _sync(program.services, w.services, lambda s: s.service, lambda c: ProgramService(service=c))
    _sync(program.insurances, w.insurances, lambda i: i.insurance, lambda c: ProgramInsurance(insurance=c))
    _sync(program.counties, list(w.counties), lambda c: c.county,
          lambda c: ProgramCounty(county=c, telemedicine=w.counties[c]))
    for row in program.counties:
        if row.telemedicine != w.counties[row.county]:
            row.telemedicine = w.counties[row.county]


def unmapped_terms(db: Session) -> list[HsdsTermMapping]:
    return list(db.scalars(select(HsdsTermMapping).where(HsdsTermMapping.service == "")
                           .order_by(func.lower(HsdsTermMapping.taxonomy), HsdsTermMapping.code)))


def _snapshot(p: Program) -> dict:
    return program_snapshot(p) | {"agency": p.agency.hsds_id, "location": p.hsds_location_id,
                                  "capacity": p.capacity, "assured_on": p.assured_on}
