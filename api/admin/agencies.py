"""Administration of agencies and programs (designated administrators for their regions, the state
team statewide): details, services, counties, insurance, Part 2, the program's own referral-form
fields, and the overview of agency MOUs due soon or lapsed."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select

from api import etags
from api.admin.schemas import AdminProgramOut, AgencyOut, FieldOut, MouAttention, Paged
from api.deps import DbSession, Now, Scope
from api.errors import NotFound
from api.forms import FormFailure, form_data, form_errors, form_status, render
from api.schema_types import Id, PageNumber, PerPage
from domain.accounts import AdminScope, Role
from domain.errors import NotAllowed
from domain.montana import REGIONS, county_names, local_date
from domain.mou import MouStatus, mou_status_on
from domain.program_forms import FieldKind
from domain.taxonomy import INSURANCE_TYPES, SERVICES
from models.agencies import admin as orgs
from models.accounts.tables import Membership, User
from models.agencies.tables import Agency, Program, ProgramFormField
from models.paging import PER_PAGE, paginate

router = APIRouter(tags=["administration"])

IN_PERSON, TELEMEDICINE = "in_person", "telemedicine"


# ---------------------------------------------------------------- input and output shapes


def _check_email(value: str) -> str:
    value = (value or "").strip()
    if value:
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            raise ValueError("Give a valid email address, such as intake@agency.org.") from None
    return value


class CountyIn(BaseModel):
    county: str = Field(max_length=60)
    telemedicine: bool = False


class ProgramIn(BaseModel):
    name: str = Field("", max_length=200)
    region: int | None = None
    description: str = Field("", max_length=4000)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=300)
    website: str = Field("", max_length=300)
    is_part2: bool = False
    is_active: bool = True
    services: list[str] = Field(default_factory=list, max_length=100)
    insurances: list[str] = Field(default_factory=list, max_length=100)
    counties: list[CountyIn] = Field(default_factory=list, max_length=56)

    _email = field_validator("email")(_check_email)

    @field_validator("region", mode="before")
    @classmethod
    def _blank_region(cls, value):
        return None if value == "" else value

    def details(self) -> orgs.ProgramDetails:
        return orgs.ProgramDetails(
            **self.model_dump(exclude={"counties"}),
            counties={c.county: c.telemedicine for c in self.counties})


class NewAgencyIn(BaseModel):
    agency_name: str = Field("", max_length=200)
    program: ProgramIn


class AgencyIn(BaseModel):
    agency_name: str = Field("", max_length=200)


class FormFieldIn(BaseModel):
    tab: str = Field("", max_length=200)
    label: str = Field("", max_length=400)
    kind: str = Field("", max_length=20)
    choices: list[str] = Field(default_factory=list, max_length=100)
    required: bool = False
    position: int | None = None


def program_out(p: Program, today) -> dict:
    return {
        "id": p.id, "agency_id": p.agency_id, "agency": p.agency.name, "name": p.name,
        "display_name": p.display_name, "region": p.region, "description": p.description,
        "phone": p.phone, "email": p.email, "address": p.address, "website": p.website,
        "is_part2": p.is_part2, "is_active": p.is_active,
        "services": sorted(s.service for s in p.services),
        "insurances": sorted(i.insurance for i in p.insurances),
        "counties": [{"county": c.county, "telemedicine": c.telemedicine}
                     for c in sorted(p.counties, key=lambda c: c.county)],
        "mou_expires_on": p.mou_expires_on, "mou_status": mou_status_on(p.mou_expires_on, today).value,
        "form_fields": [field_out(f) for f in p.form_fields],
    }


def field_out(f: ProgramFormField) -> dict:
    return {"id": f.id, "tab": f.tab, "key": f.key, "label": f.label, "kind": f.kind,
            "choices": f.choices, "required": f.required, "position": f.position}


def agency_out(a: Agency, scope: AdminScope) -> dict:
    return {"id": a.id, "name": a.name,
            "programs": [{"id": p.id, "name": p.name, "region": p.region, "is_active": p.is_active}
                         for p in a.programs if scope.covers(p.region)]}


def _page_out(listing, out) -> dict:
    return {"items": [out(x) for x in listing.items], "page": listing.number,
            "pages": listing.pages, "total": listing.total}


# ---------------------------------------------------------------- lookups in scope


def _agency(db, scope: AdminScope, agency_id: int) -> Agency:
    agency = db.get(Agency, agency_id)
    if agency is None:
        raise NotFound("That agency")
    if not any(scope.covers(p.region) for p in agency.programs):
        raise NotAllowed("That agency has no program in your regions.", code="outside_your_regions")
    return agency


def _program(db, scope: AdminScope, program_id: int) -> Program:
    program = db.get(Program, program_id)
    if program is None:
        raise NotFound("That program")
    scope.require_region(program.region)
    return program


def _field(program: Program, field_id: int) -> ProgramFormField:
    row = next((f for f in program.form_fields if f.id == field_id), None)
    if row is None:
        raise NotFound("That form field")
    return row


def _members(db, program_id: int) -> list[tuple[User, Membership]]:
    return list(db.execute(select(User, Membership).join(Membership)
                           .where(Membership.program_id == program_id)
                           .order_by(User.full_name)))


# ---------------------------------------------------------------- page forms


def _program_form(data: dict) -> dict:
    """A posted program form in the shape of `ProgramIn` (counties as `county:<name>` selects)."""
    counties = [{"county": k.split(":", 1)[1], "telemedicine": v == TELEMEDICINE}
                for k, v in data.items() if k.startswith("county:") and v in (IN_PERSON, TELEMEDICINE)]
    plain = {k: v for k, v in data.items() if not k.startswith("county:")}
    return {**plain, "counties": counties, "is_part2": "is_part2" in data,
            "is_active": "is_active" in data}


def _form_values(shape: dict) -> dict:
    """What the program form shows, from a `ProgramIn`-shaped dict."""
    counties = {c["county"]: TELEMEDICINE if c.get("telemedicine") else IN_PERSON
                for c in shape.get("counties", [])}
    return {**shape, "counties": counties}


def _program_page(request, scope: AdminScope, template: str, values: dict, extra: dict,
                  errors: dict | None = None, status: int = 200):
    return render(request, template, {
        "values": values, "errors": errors or {}, "services": SERVICES, "insurances": INSURANCE_TYPES,
        "county_names": county_names(), "regions": [(r, f"{r} — {REGIONS[r]}") for r in scope.region_numbers],
        **extra}, status)


PROGRAM_LISTS = ("services", "insurances")


def _status_of(moment):
    """The agency MOU status of a program today, for the templates."""
    today = local_date(moment)
    return lambda program: mou_status_on(program.mou_expires_on, today).value
NEW_PROGRAM = {"is_active": True, "counties": {}, "services": [], "insurances": []}


@router.get("/admin", include_in_schema=False)
async def admin_home(request: Request, scope: Scope, db: DbSession, moment: Now):
    counts = orgs.mou_counts(db, scope, local_date(moment))
    return render(request, "admin/index.html", {"counts": counts, "scope": scope})


@router.get("/admin/agencies", include_in_schema=False)
async def agencies_page(request: Request, scope: Scope, db: DbSession, q: str = "", page: int = 1):
    listing = paginate(db, orgs.agencies_query(scope, q), page)
    return render(request, "admin/agencies.html", {"page": listing, "q": q, "scope": scope})


@router.get("/admin/agencies/new", include_in_schema=False)
async def new_agency_page(request: Request, scope: Scope):
    return _program_page(request, scope, "admin/program_form.html", NEW_PROGRAM,
                         {"mode": "new_agency", "action": "/admin/agencies/new"})


@router.post("/admin/agencies/new", include_in_schema=False)
async def create_agency_page(request: Request, scope: Scope, db: DbSession):
    data = _program_form(await form_data(request, PROGRAM_LISTS))
    agency_name = data.pop("agency_name", "")
    try:
        program = orgs.create_agency(db, scope, request.state.actor.user.id, agency_name,
                                     ProgramIn.model_validate(data).details())
        db.commit()
    except FormFailure as err:
        db.rollback()
        return _program_page(request, scope, "admin/program_form.html",
                             {**_form_values(data), "agency_name": agency_name},
                             {"mode": "new_agency", "action": "/admin/agencies/new"},
                             form_errors(err), form_status(err))
    return RedirectResponse(f"/admin/programs/{program.id}?done=created", status_code=303)


@router.get("/admin/agencies/{agency_id}", include_in_schema=False)
async def agency_page(request: Request, agency_id: Id, scope: Scope, db: DbSession, moment: Now):
    agency = _agency(db, scope, agency_id)
    return render(request, "admin/agency.html", {"agency": agency, "scope": scope,
                                                 "status_of": _status_of(moment),
                                                 "values": {"agency_name": agency.name}})


@router.post("/admin/agencies/{agency_id}", include_in_schema=False)
async def rename_agency_page(request: Request, agency_id: Id, scope: Scope, db: DbSession,
                             moment: Now):
    agency = _agency(db, scope, agency_id)
    data = await form_data(request)
    try:
        orgs.rename_agency(db, scope, request.state.actor.user.id, agency,
                           AgencyIn.model_validate(data).agency_name)
        db.commit()
    except FormFailure as err:
        db.rollback()
        return render(request, "admin/agency.html",
                      {"agency": _agency(db, scope, agency_id), "scope": scope, "values": data,
                       "status_of": _status_of(moment), "errors": form_errors(err)}, form_status(err))
    return RedirectResponse(f"/admin/agencies/{agency_id}?done=saved", status_code=303)


@router.get("/admin/agencies/{agency_id}/programs/new", include_in_schema=False)
async def new_program_page(request: Request, agency_id: Id, scope: Scope, db: DbSession):
    agency = _agency(db, scope, agency_id)
    return _program_page(request, scope, "admin/program_form.html", NEW_PROGRAM,
                         {"mode": "new_program", "agency": agency,
                          "action": f"/admin/agencies/{agency_id}/programs/new"})


@router.post("/admin/agencies/{agency_id}/programs/new", include_in_schema=False)
async def add_program_page(request: Request, agency_id: Id, scope: Scope, db: DbSession):
    agency = _agency(db, scope, agency_id)
    data = _program_form(await form_data(request, PROGRAM_LISTS))
    try:
        program = orgs.add_program(db, scope, request.state.actor.user.id, agency,
                                   ProgramIn.model_validate(data).details())
        db.commit()
    except FormFailure as err:
        db.rollback()
        return _program_page(request, scope, "admin/program_form.html", _form_values(data),
                             {"mode": "new_program", "agency": _agency(db, scope, agency_id),
                              "action": f"/admin/agencies/{agency_id}/programs/new"},
                             form_errors(err), form_status(err))
    return RedirectResponse(f"/admin/programs/{program.id}?done=created", status_code=303)


@router.get("/admin/programs", include_in_schema=False)
async def programs_page(request: Request, scope: Scope, db: DbSession, moment: Now, q: str = "",
                        region: int | None = None, page: int = 1):
    listing = paginate(db, orgs.programs_query(scope, q, region=region), page)
    return render(request, "admin/programs.html", {
        "page": listing, "q": q, "region": region, "status_of": _status_of(moment),
        "regions": [(r, f"{r} — {REGIONS[r]}") for r in scope.region_numbers]})


def _edit_extra(db, program: Program, moment) -> dict:
    return {"mode": "edit", "program": program, "action": f"/admin/programs/{program.id}",
            "members": _members(db, program.id), "role_of": Role.of,
            "mou_status": mou_status_on(program.mou_expires_on, local_date(moment)).value}


@router.get("/admin/programs/{program_id}", include_in_schema=False)
async def program_page(request: Request, program_id: Id, scope: Scope, db: DbSession, moment: Now):
    program = _program(db, scope, program_id)
    values = _form_values(program_out(program, local_date(moment)))
    return _program_page(request, scope, "admin/program_form.html", values,
                         _edit_extra(db, program, moment))


@router.post("/admin/programs/{program_id}", include_in_schema=False)
async def update_program_page(request: Request, program_id: Id, scope: Scope, db: DbSession,
                              moment: Now):
    program = _program(db, scope, program_id)
    data = _program_form(await form_data(request, PROGRAM_LISTS))
    try:
        orgs.update_program(db, scope, request.state.actor.user.id, program,
                            ProgramIn.model_validate(data).details())
        db.commit()
    except FormFailure as err:
        db.rollback()
        program = _program(db, scope, program_id)
        return _program_page(request, scope, "admin/program_form.html", _form_values(data),
                             _edit_extra(db, program, moment), form_errors(err), form_status(err))
    return RedirectResponse(f"/admin/programs/{program_id}?done=saved", status_code=303)


def _fields_page(request, program: Program, values=None, errors=None, status=200, row_errors=None):
    return render(request, "admin/fields.html", {
        "program": program, "kinds": [(k.value, k.label) for k in FieldKind],
        "values": values or {}, "errors": errors or {}, "row_errors": row_errors or {}}, status)


def _field_form(data: dict) -> FormFieldIn:
    choices = [line for line in str(data.get("choices", "")).splitlines()]
    position = str(data.get("position", "")).strip()
    return FormFieldIn.model_validate({**data, "choices": choices, "required": "required" in data,
                                       "position": int(position) if position.isdigit() else None})


@router.get("/admin/programs/{program_id}/fields", include_in_schema=False)
async def fields_page(request: Request, program_id: Id, scope: Scope, db: DbSession):
    return _fields_page(request, _program(db, scope, program_id))


@router.post("/admin/programs/{program_id}/fields", include_in_schema=False)
async def add_field_page(request: Request, program_id: Id, scope: Scope, db: DbSession):
    program = _program(db, scope, program_id)
    data = await form_data(request)
    try:
        orgs.add_form_field(db, scope, request.state.actor.user.id, program,
                            **_field_form(data).model_dump())
        db.commit()
    except FormFailure as err:
        db.rollback()
        return _fields_page(request, _program(db, scope, program_id), data, form_errors(err),
                            form_status(err))
    return RedirectResponse(f"/admin/programs/{program_id}/fields?done=added", status_code=303)


@router.post("/admin/programs/{program_id}/fields/{field_id}", include_in_schema=False)
async def update_field_page(request: Request, program_id: Id, field_id: Id, scope: Scope,
                            db: DbSession):
    program = _program(db, scope, program_id)
    row = _field(program, field_id)
    data = await form_data(request)
    try:
        orgs.update_form_field(db, scope, request.state.actor.user.id, program, row,
                               **_field_form(data).model_dump())
        db.commit()
    except FormFailure as err:
        db.rollback()
        return _fields_page(request, _program(db, scope, program_id), status=form_status(err),
                            row_errors={field_id: " ".join(form_errors(err).values())})
    return RedirectResponse(f"/admin/programs/{program_id}/fields?done=saved", status_code=303)


@router.post("/admin/programs/{program_id}/fields/{field_id}/remove", include_in_schema=False)
async def remove_field_page(request: Request, program_id: Id, field_id: Id, scope: Scope,
                            db: DbSession):
    program = _program(db, scope, program_id)
    orgs.remove_form_field(db, scope, request.state.actor.user.id, program, _field(program, field_id))
    db.commit()
    return RedirectResponse(f"/admin/programs/{program_id}/fields?done=removed", status_code=303)


def _mou_status_param(status: str | None) -> MouStatus | None:
    try:
        return MouStatus(status) if status else None
    except ValueError:
        return None


@router.get("/admin/mou", include_in_schema=False)
async def mou_overview_page(request: Request, scope: Scope, db: DbSession, moment: Now,
                            status: str | None = None, q: str = "", page: int = 1):
    today = local_date(moment)
    listing = paginate(db, orgs.mou_attention_query(scope, today, _mou_status_param(status), q), page)
    return render(request, "admin/mou.html", {
        "page": listing, "q": q, "status": status or "", "status_of": _status_of(moment),
        "gatekeepers": orgs.gatekeepers_of(db, [p.id for p in listing.items])})


# ---------------------------------------------------------------- JSON API


@router.get("/api/v1/admin/agencies")
async def list_agencies(scope: Scope, db: DbSession,
                        q: Annotated[str, Query(description="Part of the agency's name")] = "",
                        page: PageNumber = 1,
                        per_page: PerPage = PER_PAGE) -> Paged[AgencyOut]:
    """Agencies with programs in your regions (all, for the state team); `q` searches names."""
    return _page_out(paginate(db, orgs.agencies_query(scope, q), page, per_page),
                     lambda a: agency_out(a, scope))


@router.post("/api/v1/admin/agencies", status_code=201)
async def create_agency(request: Request, scope: Scope, db: DbSession, moment: Now,
                        data: NewAgencyIn) -> AdminProgramOut:
    """A new agency with its first program."""
    program = orgs.create_agency(db, scope, request.state.actor.user.id, data.agency_name,
                                 data.program.details())
    db.commit()
    return program_out(program, local_date(moment))


@router.get("/api/v1/admin/agencies/{agency_id}")
async def get_agency(agency_id: Id, scope: Scope, db: DbSession) -> AgencyOut:
    return agency_out(_agency(db, scope, agency_id), scope)


@router.patch("/api/v1/admin/agencies/{agency_id}")
async def rename_agency(request: Request, agency_id: Id, scope: Scope, db: DbSession,
                        data: AgencyIn) -> AgencyOut:
    agency = _agency(db, scope, agency_id)
    orgs.rename_agency(db, scope, request.state.actor.user.id, agency, data.agency_name)
    db.commit()
    return agency_out(agency, scope)


@router.post("/api/v1/admin/agencies/{agency_id}/programs", status_code=201)
async def add_program(request: Request, agency_id: Id, scope: Scope, db: DbSession, moment: Now,
                      data: ProgramIn) -> AdminProgramOut:
    program = orgs.add_program(db, scope, request.state.actor.user.id,
                               _agency(db, scope, agency_id), data.details())
    db.commit()
    return program_out(program, local_date(moment))


@router.get("/api/v1/admin/programs")
async def list_programs(scope: Scope, db: DbSession, moment: Now,
                        q: Annotated[str, Query(description="Part of the program's or its agency's name")] = "",
                        region: Annotated[int | None, Query(description="Only programs of this region (1 to 5)")] = None,
                        page: PageNumber = 1, per_page: PerPage = PER_PAGE) -> Paged[AdminProgramOut]:
    today = local_date(moment)
    return _page_out(paginate(db, orgs.programs_query(scope, q, region=region), page, per_page),
                     lambda p: program_out(p, today))


def program_version(out: dict) -> dict:
    """What a program's ETag is made of: its answer without the MOU status, which changes with the
    date alone."""
    return {k: v for k, v in out.items() if k != "mou_status"}


def tagged_program(response: Response, program: Program, moment) -> dict:
    out = program_out(program, local_date(moment))
    response.headers["ETag"] = etags.etag_of(program_version(out))
    return out


@router.get("/api/v1/admin/programs/{program_id}", responses=etags.READ)
async def get_program(program_id: Id, scope: Scope, db: DbSession, moment: Now,
                      response: Response) -> AdminProgramOut:
    """The program, with an `ETag` to send as `If-Match` when you update it."""
    return tagged_program(response, _program(db, scope, program_id), moment)


@router.put("/api/v1/admin/programs/{program_id}", responses=etags.WRITE)
async def update_program(request: Request, program_id: Id, scope: Scope, db: DbSession, moment: Now,
                         data: ProgramIn, response: Response, if_match: etags.IfMatch = None) -> AdminProgramOut:
    """Replaces the program's details, services, counties and insurance. With `If-Match`, refused
    (412) if the program changed since you read it."""
    program = _program(db, scope, program_id)
    if if_match is not None:
        db.refresh(program, with_for_update=True)  # no other write between the check and this one
        etags.check_if_match(if_match, program_version(program_out(program, local_date(moment))))
    orgs.update_program(db, scope, request.state.actor.user.id, program, data.details())
    db.commit()
    return tagged_program(response, program, moment)


@router.get("/api/v1/admin/programs/{program_id}/fields")
async def list_fields(program_id: Id, scope: Scope, db: DbSession) -> list[FieldOut]:
    return [field_out(f) for f in _program(db, scope, program_id).form_fields]


@router.post("/api/v1/admin/programs/{program_id}/fields", status_code=201)
async def add_field(request: Request, program_id: Id, scope: Scope, db: DbSession,
                    data: FormFieldIn) -> FieldOut:
    """Adds a field to the program's referral form (kind: text, choice, date or yesno)."""
    row = orgs.add_form_field(db, scope, request.state.actor.user.id,
                              _program(db, scope, program_id), **data.model_dump())
    db.commit()
    return field_out(row)


@router.put("/api/v1/admin/programs/{program_id}/fields/{field_id}")
async def update_field(request: Request, program_id: Id, field_id: Id, scope: Scope,
                       db: DbSession, data: FormFieldIn) -> FieldOut:
    program = _program(db, scope, program_id)
    row = _field(program, field_id)
    orgs.update_form_field(db, scope, request.state.actor.user.id, program, row, **data.model_dump())
    db.commit()
    return field_out(row)


@router.delete("/api/v1/admin/programs/{program_id}/fields/{field_id}", status_code=204)
async def remove_field(request: Request, program_id: Id, field_id: Id, scope: Scope,
                       db: DbSession) -> None:
    program = _program(db, scope, program_id)
    orgs.remove_form_field(db, scope, request.state.actor.user.id, program, _field(program, field_id))
    db.commit()


@router.get("/api/v1/admin/mou")
async def mou_overview(scope: Scope, db: DbSession, moment: Now,
                       status: Annotated[MouStatus | None, Query(description="Only programs whose agency MOU is in this state")] = None,
                       q: Annotated[str, Query(description="Part of the program's or its agency's name")] = "", page: PageNumber = 1, per_page: PerPage = PER_PAGE) -> Paged[MouAttention]:
    """Programs in your regions whose agency MOU is missing, lapsed or due soon (or one status)."""
    today = local_date(moment)
    listing = paginate(db, orgs.mou_attention_query(scope, today, status, q), page, per_page)
    gatekeepers = orgs.gatekeepers_of(db, [p.id for p in listing.items])
    return _page_out(listing, lambda p: {
        "program_id": p.id, "display_name": p.display_name, "region": p.region,
        "mou_expires_on": p.mou_expires_on, "mou_status": mou_status_on(p.mou_expires_on, today).value,
        "gatekeepers": [{"id": u.id, "full_name": u.full_name, "email": u.email}
                        for u in gatekeepers[p.id]]})
