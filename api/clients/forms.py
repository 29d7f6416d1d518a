"""What the client pages and the client API share: reading the profile form, running a search,
loading a client, the JSON shapes, and who may merge."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends
from pydantic import BaseModel, Field, create_model
from sqlalchemy.orm import Session

from api.deps import Actor, UserMouActor, admin_actor
from api.forms import PostedForm
from api.schema_types import Address, Code, Email, Id, Name, Note, Phone
from domain.client_profile import PHONE_LABELS, PHONES_MAX, ClientDetails, ClientForm, PhoneEntry, parse_dob
from domain.errors import ValidationFailed
from domain.montana import county_names, local_clock, local_date
from domain.phones import NO_PHONE, format_phone
from domain.taxonomy import GENDER_IDENTITIES, MILITARY_SERVICE, RACES, label_of
from models import audit
from models.clients.contact import CONTACT_FIELDS
from models.clients.records import ClientView
from models.clients.search import PER_PAGE as SEARCH_PER_PAGE
from models.clients.search import NO_SEARCH, SearchHit, SearchPage, changed_clients, search_clients

# --- reading the form -------------------------------------------------------------------------


def form_from_page(data: PostedForm) -> ClientForm:
    """The profile form as posted by the two-page form (repeated phone rows, race checkboxes)."""
    labels = data.texts("phone_label")
    phones = tuple(PhoneEntry(number, labels[i] if i < len(labels) else "mobile")
                   for i, number in enumerate(data.texts("phone_number")))
    return ClientForm(
        first_name=data.text("first_name"),
        last_name=data.text("last_name"),
        dob=data.text("dob"),
        gender_identity=data.text("gender_identity"),
        races=tuple(data.texts("races")),
        military_service=data.text("military_service"),
        no_fixed_address=data.ticked("no_fixed_address"),
        address=data.text("address"),
        city=data.text("city"),
        county=data.text("county"),
        zip=data.text("zip"),
        phones=phones,
        best_way_to_reach=data.text("best_way_to_reach"),
        email=data.text("email"),
    )


def form_from_details(details: ClientDetails) -> ClientForm:
    """A stored profile as the form shows it (to edit it)."""
    return ClientForm(
        first_name=details.first_name, last_name=details.last_name,
        dob=details.dob.isoformat(), gender_identity=details.gender_identity,
        races=details.races, military_service=details.military_service,
        no_fixed_address=details.no_fixed_address, address=details.address, city=details.city,
        county=details.county, zip=details.zip,
        phones=tuple(PhoneEntry(format_phone(p.e164), p.label) for p in details.phones),
        best_way_to_reach=details.best_way_to_reach, email=details.email,
    )


class PhoneIn(BaseModel):
    number: Phone = Field(description="US number in any usual form; (999) 999-9999 means no phone")
    label: Code = Field("mobile", description="mobile, home, work or other")


class ClientIn(BaseModel):
    """A client profile. Every value is checked by CONNECT's own rules, which answer 422 with a
    reason per field."""

    first_name: Name = Field("", description="Legal First Name")
    last_name: Name = Field("", description="Legal Last Name")
    dob: Code = Field("", description="Date of birth, YYYY-MM-DD or MM/DD/YYYY")
    gender_identity: Code = Field("", description=f"one of {[c for c, _ in GENDER_IDENTITIES]}")
    races: list[Code] = Field(default_factory=list, max_length=len(RACES),
                              description=f"some of {[c for c, _ in RACES]}")
    military_service: Code = Field("", description=f"one of {[c for c, _ in MILITARY_SERVICE]}")
    no_fixed_address: bool = Field(False, description="fills the address with '0000 Street'")
    address: Address = ""
    city: Name = ""
    county: Code = Field("", description="a Montana county (GET /api/v1/vocabularies)")
    zip: Code = Field("", description="a Montana ZIP code")
    phones: list[PhoneIn] = Field(default_factory=list, max_length=PHONES_MAX)
    best_way_to_reach: Note = Field("", description="required when the client has no phone")
    email: Email = ""

    def form(self) -> ClientForm:
        data = self.model_dump(exclude={"phones", "races", "acknowledge_near_matches"})
        return ClientForm(**data, races=tuple(self.races),
                          phones=tuple(PhoneEntry(p.number, p.label) for p in self.phones))


def _as_optional(model: type[BaseModel], name: str) -> tuple[Any, Any]:
    """A field of ``model`` with its type and limits, optional: None leaves the value as it is."""
    info = model.model_fields[name]
    return Annotated[info.annotation, *info.metadata] | None, Field(None, description=info.description)


ContactIn = create_model(
    "ContactIn",
    __doc__="Changes to the client's contact details; a field left out (or null) stays as it is.",
    **{name: _as_optional(PhoneIn, "number") if name == "mobile_phone" else _as_optional(ClientIn, name)
       for name in CONTACT_FIELDS},
)
"""The contact fields of `models.clients.contact.ContactChanges`, typed as the profile types them."""


class NewClientIn(ClientIn):
    acknowledge_near_matches: bool = Field(
        False, description="create even though existing clients may be the same person (the "
                           "409 answer's 'near' list has been checked with the client)")


class IdentityCheckIn(BaseModel):
    dob: Code = ""
    phone: Phone = ""
    address: Address = ""


class MergeIn(BaseModel):
    duplicate_id: Annotated[Id, Field(description="the profile merged into this one")]


# --- JSON answers (the schema; keys a program may not see are left out, not null) --------------


class PhoneOut(BaseModel):
    e164: str
    display: str
    no_phone: bool
    label: str | None = None


class ClientHitOut(BaseModel):
    id: int
    first_name: str
    last_name: str
    birth_year: int
    visible: bool = Field(description="Whether your program may see the details (an ROI covers it).")
    dob: str | None = Field(None, description="ISO date; only when visible")
    phones: list[PhoneOut] | None = None
    address: str | None = None
    city: str | None = None
    zip: str | None = None
    no_fixed_address: bool | None = None


class ClientSearchOut(BaseModel):
    results: list[ClientHitOut]
    page: int
    per_page: int
    pages: int
    total: int
    capped: bool = Field(description="More clients match than are listed: narrow the name or add dob.")


class ClientProfileOut(BaseModel):
    id: int
    first_name: str
    last_name: str
    birth_year: int
    visible: bool
    merged_into_id: int | None
    dob: str | None = None
    gender_identity: str | None = None
    races: list[str] | None = None
    military_service: str | None = None
    no_fixed_address: bool | None = None
    address: str | None = None
    city: str | None = None
    county: str | None = None
    state: str | None = None
    zip: str | None = None
    phones: list[PhoneOut] | None = None
    best_way_to_reach: str | None = None
    email: str | None = None
    created_by_program_id: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
    changed: list[str] | None = Field(None, description="After an update: the fields that changed.")


class ClientChangeOut(BaseModel):
    id: int
    at: str
    kind: str
    user_id: int | None
    by: str
    program_id: int | None
    program: str
    changes: dict[str, Any]


class ClientHistoryOut(BaseModel):
    history: list[ClientChangeOut]


class IdentityMatchOut(BaseModel):
    match: bool


class MergeOut(BaseModel):
    survivor_id: int
    merged_id: int
    merge_id: int
    moved: dict[str, Any]


class UnmergeOut(BaseModel):
    client_id: int
    survivor_id: int | None
    moved_back: dict[str, Any]


# --- loading and searching --------------------------------------------------------------------


def run_search(db: Session, actor: Actor, q: str, dob_text: str, page: int, moment: datetime, *,
               per_page: int = SEARCH_PER_PAGE, since: datetime | None = None):
    """The search as pages and the API run it: results, the date-of-birth error if any, and an
    audit event when details were shown. With ``since`` and no name: the program's clients that
    changed since then."""
    today = local_date(moment)
    dob, dob_error = None, ""
    if dob_text.strip():
        try:
            dob = parse_dob(dob_text, today)
        except ValidationFailed as exc:
            dob_error = exc.reason
    result = NO_SEARCH
    if q.strip() and not dob_error:
        result = search_clients(db, q, program_id=actor.program_id, today=today, dob=dob,
                                page=page, per_page=per_page, since=since)
    elif since is not None and not dob_error:
        result = changed_clients(db, program_id=actor.program_id, today=today, since=since,
                                 page=page, per_page=per_page)
    if result.items:
        audit.record(db, action="client.searched", entity_type="client", entity_id="search",
                     user_id=actor.user.id, program_id=actor.program_id,
                     shown=[h.id for h in result.items],
                     full=[h.id for h in result.items if h.visible],
                     fields=["first_name", "last_name", "birth_year"]
                     + (["dob", "phones", "address", "city", "zip"]
                        if any(h.visible for h in result.items) else []))
        db.commit()
    return result, dob_error


# --- JSON shapes ------------------------------------------------------------------------------


def phone_json(e164: str, label: str | None = None) -> dict:
    out = {"e164": e164, "display": format_phone(e164), "no_phone": e164 == NO_PHONE}
    if label is not None:
        out["label"] = label
    return out


def hit_json(hit: SearchHit) -> dict:
    out = {"id": hit.id, "first_name": hit.first_name, "last_name": hit.last_name,
           "birth_year": hit.birth_year, "visible": hit.visible}
    if hit.visible:
        out |= {"dob": hit.dob.isoformat(), "phones": [phone_json(p) for p in hit.phones],
                "address": hit.address, "city": hit.city, "zip": hit.zip,
                "no_fixed_address": hit.no_fixed_address}
    return out


def search_json(result: SearchPage) -> dict:
    return {"results": [hit_json(h) for h in result.items], "page": result.number,
            "per_page": result.per_page, "pages": result.pages, "total": result.total,
            "capped": result.capped}


def client_json(view: ClientView) -> dict:
    client = view.client
    out = {"id": client.id, "first_name": client.first_name, "last_name": client.last_name,
           "birth_year": client.dob.year, "visible": view.visible,
           "merged_into_id": client.merged_into_id}
    if view.visible:
        out |= {
            "dob": client.dob.isoformat(),
            "gender_identity": client.gender_identity,
            "races": list(client.races),
            "military_service": client.military_service,
            "no_fixed_address": client.no_fixed_address,
            "address": client.address,
            "city": client.city,
            "county": client.county,
            "state": "MT",
            "zip": client.zip,
            "phones": [phone_json(p.e164, p.label) for p in client.phones],
            "best_way_to_reach": client.best_way_to_reach,
            "email": client.email,
            "created_by_program_id": client.created_by_program_id,
            "created_at": client.created_at.isoformat(),
            "updated_at": client.updated_at.isoformat(),
        }
    return out


# --- what the templates need ------------------------------------------------------------------


def vocabularies() -> dict:
    """What every client template may need: the choice lists and the time formatter."""
    return {
        "local_time": local_clock,
        "genders": GENDER_IDENTITIES,
        "races": RACES,
        "military": MILITARY_SERVICE,
        "phone_labels": PHONE_LABELS,
        "counties": county_names(),
    }


def label(vocab, code: str) -> str:
    try:
        return label_of(vocab, code)
    except ValidationFailed:  # a code retired from the vocabulary still shows
        return code


# --- who may merge ----------------------------------------------------------------------------


async def merge_actor(actor: UserMouActor) -> Actor:
    """Administrators merging profiles see client details, so the user MOU applies to them too;
    which clients each may merge (their regions) is ``models.clients.records.may_merge``."""
    return await admin_actor(actor)


MergeActor = Annotated[Actor, Depends(merge_actor)]
