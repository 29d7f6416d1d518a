"""Administration of agencies and programs: queries scoped to an administrator's regions, and the
commands that create and change them (each audited). No web framework here.

Every command checks the administrator's scope (`domain.accounts.AdminScope`) before it writes,
and raises a `DomainError` with the reason; the caller commits only when the command returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from domain.accounts import AdminScope
from domain.errors import ValidationFailed
from domain.montana import canonical_county
from domain.mou import DUE_SOON_DAYS, MouStatus
from domain.phones import format_phone, normalize_phone
from domain.program_forms import check_field, field_key
from domain.taxonomy import INSURANCE_TYPES, SERVICES, label_of
from models import audit
from models.accounts.tables import Membership, User
from models.agencies.tables import Agency, Program, ProgramCounty, ProgramFormField, ProgramInsurance, ProgramService
from models.base import utcnow
from models.paging import matches_text


@dataclass
class ProgramDetails:
    """Everything an administrator sets on a program."""

    name: str
    region: int | None
    description: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    website: str = ""
    is_part2: bool = False
    is_active: bool = True
    services: Sequence[str] = ()
    insurances: Sequence[str] = ()
    # county name -> served by telemedicine (False: in person)
    counties: dict[str, bool] = field(default_factory=dict)


# ---------------------------------------------------------------- queries


def _program_in_scope(scope: AdminScope):
    return Program.region.in_(scope.regions) if not scope.state_team else None


def agencies_query(scope: AdminScope, text: str = "") -> Select[tuple[Agency]]:
    """Agencies with a program in the administrator's regions, by name; ``text`` searches agency
    and program names."""
    inner = select(Program.id).where(Program.agency_id == Agency.id)
    if (cond := _program_in_scope(scope)) is not None:
        inner = inner.where(cond)
    stmt = select(Agency).where(exists(inner)).options(selectinload(Agency.programs))
    if (found := matches_text(text, Agency.name, Program.name)) is not None:
        stmt = stmt.where(Agency.id.in_(select(Program.agency_id).join(Agency).where(found)))
    return stmt.order_by(Agency.name)


def programs_query(scope: AdminScope, text: str = "", *, region: int | None = None,
                   agency_id: int | None = None) -> Select[tuple[Program]]:
    stmt = select(Program).join(Agency).options(selectinload(Program.agency))
    if (cond := _program_in_scope(scope)) is not None:
        stmt = stmt.where(cond)
    if (found := matches_text(text, Agency.name, Program.name)) is not None:
        stmt = stmt.where(found)
    if region is not None:
        stmt = stmt.where(Program.region == region)
    if agency_id is not None:
        stmt = stmt.where(Program.agency_id == agency_id)
    return stmt.order_by(Agency.name, Program.name)


def mou_attention_query(scope: AdminScope, today: date, status: MouStatus | None = None,
                        text: str = "") -> Select[tuple[Program]]:
    """Active programs in scope whose agency MOU is missing, lapsed, or due within
    `DUE_SOON_DAYS` days (or only those of ``status``), the most urgent first."""
    soon = today + timedelta(days=DUE_SOON_DAYS)
    conditions = {
        MouStatus.MISSING: Program.mou_expires_on.is_(None),
        MouStatus.LAPSED: Program.mou_expires_on <= today,
        MouStatus.DUE_SOON: (Program.mou_expires_on > today) & (Program.mou_expires_on <= soon),
        MouStatus.VALID: Program.mou_expires_on > soon,
    }
    wanted = conditions[status] if status else or_(
        conditions[MouStatus.MISSING], conditions[MouStatus.LAPSED], conditions[MouStatus.DUE_SOON])
    stmt = programs_query(scope, text).where(Program.is_active, wanted)
    # Never-signed first, then by the day the MOU lapsed or lapses.
    return stmt.order_by(None).order_by(Program.mou_expires_on.is_not(None),
                                        Program.mou_expires_on, Agency.name, Program.name)


def gatekeepers_of(db: Session, program_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active gatekeepers of each program, by name (whom to call about an MOU)."""
    ids = list(program_ids)
    found: dict[int, list[User]] = {pid: [] for pid in ids}
    if not ids:
        return found
    rows = db.execute(
        select(Membership.program_id, User).join(User)
        .where(Membership.program_id.in_(ids), Membership.is_gatekeeper, User.is_active)
        .order_by(User.full_name)
    ).all()
    for pid, user in rows:
        found[pid].append(user)
    return found


def mou_counts(db: Session, scope: AdminScope, today: date) -> dict[MouStatus, int]:
    """How many programs in scope need attention, for the administration start page."""
    return {
        status: db.scalar(select(func.count()).select_from(
            mou_attention_query(scope, today, status).order_by(None).subquery())) or 0
        for status in (MouStatus.MISSING, MouStatus.LAPSED, MouStatus.DUE_SOON)
    }


# ---------------------------------------------------------------- commands


def _clean_name(name: str, field_name: str, what: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(f"Give the {what} a name.", field=field_name)
    if len(name) > 200:
        raise ValidationFailed(f"Keep the {what}'s name under 200 characters.", field=field_name)
    return name


def _require_unique_agency(db: Session, name: str, agency_id: int | None = None) -> None:
    clash = db.scalar(select(Agency.id).where(func.lower(Agency.name) == name.lower()))
    if clash is not None and clash != agency_id:
        raise ValidationFailed(f'An agency named "{name}" exists already; add the program to it.',
                               field="agency_name", code="duplicate")


def create_agency(db: Session, scope: AdminScope, by: int, agency_name: str,
                  first_program: ProgramDetails) -> Program:
    """A new agency with its first program (an agency is visible through its programs)."""
    name = _clean_name(agency_name, "agency_name", "agency")
    _require_unique_agency(db, name)
    agency = Agency(name=name)
    db.add(agency)
    db.flush()
    audit.record(db, action="agency.created", entity_type="agency", entity_id=agency.id, user_id=by)
    return add_program(db, scope, by, agency, first_program)


def rename_agency(db: Session, scope: AdminScope, by: int, agency: Agency, new_name: str) -> None:
    scope.require_may_rename_agency(p.region for p in agency.programs)
    name = _clean_name(new_name, "agency_name", "agency")
    _require_unique_agency(db, name, agency.id)
    if name != agency.name:
        audit.record(db, action="agency.renamed", entity_type="agency", entity_id=agency.id,
                     user_id=by)
        agency.name = name


def add_program(db: Session, scope: AdminScope, by: int, agency: Agency,
                details: ProgramDetails) -> Program:
    program = Program(name="", region=details.region or 0)
    _apply(db, scope, program, agency, details)
    program.agency = agency
    db.add(program)
    db.flush()
    audit.record(db, action="program.created", entity_type="program", entity_id=program.id,
                 user_id=by, region=program.region)
    return program


def update_program(db: Session, scope: AdminScope, by: int, program: Program,
                   details: ProgramDetails) -> None:
    scope.require_region(program.region)
    before = _snapshot(program)
    _apply(db, scope, program, program.agency, details)
    changed = sorted(k for k, v in _snapshot(program).items() if before[k] != v)
    if changed:
        program.updated_at = utcnow()  # also when only its services, insurance or counties changed
        audit.record(db, action="program.updated", entity_type="program", entity_id=program.id,
                     user_id=by, fields=changed)


def _snapshot(p: Program) -> dict:
    return {
        "name": p.name, "region": p.region, "description": p.description, "phone": p.phone,
        "email": p.email, "address": p.address, "website": p.website, "is_part2": p.is_part2,
        "is_active": p.is_active, "services": sorted(s.service for s in p.services),
        "insurances": sorted(i.insurance for i in p.insurances),
        "counties": sorted((c.county, c.telemedicine) for c in p.counties),
    }


def _apply(db: Session, scope: AdminScope, program: Program, agency: Agency,
           d: ProgramDetails) -> None:
    """Checks every value first, then writes them, so a refusal leaves the program unchanged."""
    if d.region is None:
        raise ValidationFailed("Choose the program's region.", field="region")
    scope.require_region(d.region)
    name = _clean_name(d.name, "name", "program")
    with db.no_autoflush:
        clash = db.scalar(select(Program.id).where(Program.agency_id == agency.id,
                                                   func.lower(Program.name) == name.lower()))
    if clash is not None and clash != program.id:
        raise ValidationFailed(f'{agency.name} has a program named "{name}" already.',
                               field="name", code="duplicate")
    phone = format_phone(normalize_phone(d.phone)) if d.phone.strip() else ""
    website = d.website.strip()
    if website and not website.startswith(("https://", "http://")):
        raise ValidationFailed("Give the website as a full address starting with https://.",
                               field="website")
    services = _codes(d.services, SERVICES, "services")
    insurances = _codes(d.insurances, INSURANCE_TYPES, "insurances")
    counties: dict[str, bool] = {}
    for county, tele in d.counties.items():
        try:
            counties[canonical_county(county)] = bool(tele)
        except ValidationFailed as err:
            raise ValidationFailed(err.reason, field="counties", code=err.code) from None
    if not counties:
        raise ValidationFailed("Mark at least one county the program serves, in person or by "
                               "telemedicine.", field="counties")
    if not services:
        raise ValidationFailed("Choose at least one service the program offers.", field="services")
    if not insurances:
        raise ValidationFailed('Choose the insurance the program accepts (or "N/A" when none is '
                               "needed).", field="insurances")

    program.name, program.region = name, d.region
    program.description = d.description.strip()
    program.phone, program.email = phone, d.email.strip().lower()
    program.address, program.website = " ".join(d.address.split()), website
    program.is_part2, program.is_active = d.is_part2, d.is_active
    _sync(program.services, services, lambda s: s.service, lambda c: ProgramService(service=c))
    _sync(program.insurances, insurances, lambda i: i.insurance,
          lambda c: ProgramInsurance(insurance=c))
    _sync(program.counties, counties, lambda c: c.county,
          lambda c: ProgramCounty(county=c, telemedicine=counties[c]))
    for row in program.counties:
        row.telemedicine = counties[row.county]


def _codes(given: Iterable[str], vocabulary, field_name: str) -> list[str]:
    codes: list[str] = []
    for code in given:
        try:
            label_of(vocabulary, code)
        except ValidationFailed as err:
            raise ValidationFailed(err.reason, field=field_name, code=err.code) from None
        if code not in codes:
            codes.append(code)
    return codes


def _sync(rows: list, wanted: Iterable[str], key, make) -> None:
    """Makes a child collection hold exactly ``wanted`` keys, keeping rows that stay."""
    wanted = list(wanted)
    for row in [r for r in rows if key(r) not in wanted]:
        rows.remove(row)
    present = {key(r) for r in rows}
    rows.extend(make(k) for k in wanted if k not in present)


# ---------------------------------------------------------------- referral-form fields


def add_form_field(db: Session, scope: AdminScope, by: int, program: Program, *, tab: str,
                   label: str, kind: str, choices: Sequence[str] = (), required: bool = False,
                   position: int | None = None) -> ProgramFormField:
    scope.require_region(program.region)
    checked = check_field(tab, label, kind, choices, required)
    taken = {f.key for f in program.form_fields}
    key, n = field_key(checked.label), 2
    base = key
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    if position is None:
        position = 1 + max((f.position for f in program.form_fields if f.tab == checked.tab), default=0)
    row = ProgramFormField(program_id=program.id, tab=checked.tab, key=key, label=checked.label,
                           kind=checked.kind.value, choices=list(checked.choices),
                           required=checked.required, position=position)
    program.form_fields.append(row)
    db.flush()
    audit.record(db, action="program.form_field_added", entity_type="program",
                 entity_id=program.id, user_id=by, key=key)
    return row


def update_form_field(db: Session, scope: AdminScope, by: int, program: Program,
                      row: ProgramFormField, *, tab: str, label: str, kind: str,
                      choices: Sequence[str] = (), required: bool = False,
                      position: int | None = None) -> None:
    """Rewords or moves a field; its key stays, so answers already given still match it."""
    scope.require_region(program.region)
    checked = check_field(tab, label, kind, choices, required)
    row.tab, row.label, row.kind = checked.tab, checked.label, checked.kind.value
    row.choices, row.required = list(checked.choices), checked.required
    if position is not None:
        row.position = position
    audit.record(db, action="program.form_field_changed", entity_type="program",
                 entity_id=program.id, user_id=by, key=row.key)


def remove_form_field(db: Session, scope: AdminScope, by: int, program: Program,
                      row: ProgramFormField) -> None:
    """Removes a field from the form; referrals already sent keep their answers (by key)."""
    scope.require_region(program.region)
    program.form_fields.remove(row)
    audit.record(db, action="program.form_field_removed", entity_type="program",
                 entity_id=program.id, user_id=by, key=row.key)
