"""Client ("Subject") pages: the Subjects search, the two-page "Add Subject" form, the profile
with its identity check, and editing. Every route acts as the user's program (``MouActor``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from api.clients.forms import (
    form_from_details,
    form_from_page,
    label,
    run_search,
    vocabularies,
)
from api.deps import Actor, DbSession, MouActor, Now
from api.errors import Forbidden
from api.forms import posted_form, render
from api.referrals.actions import acting_of
from api.schema_types import Id
from domain.client_profile import (
    HOUSING_REMINDER,
    LABELS,
    PAGE_1_FIELDS,
    ClientForm,
    DuplicateClient,
    PhoneEntry,
    incomplete_pages,
    page_of,
    parse_identity_claim,
    validate_client,
)
from domain.errors import FieldErrors, InvalidTransition, TooManyAttempts
from domain.montana import local_date
from domain.phones import NO_PHONE, format_phone
from models.clients.access import can_see_client
from models.clients.records import (
    get_client,
    check_identity,
    create_client,
    details_of,
    field_label,
    history,
    update_client,
    view_client,
)
from models.clients.search import PER_PAGE
from models.clients.tables import Client
from models.referrals.queries import referral_chart

router = APIRouter(include_in_schema=False)


# --- search -----------------------------------------------------------------------------------


def _typed_names(q: str) -> dict[str, str]:
    """Prefill "Add Subject" with what was searched: "First Last" or "Last, First"."""
    if "," in q:
        last, first = (part.strip() for part in q.split(",", 1))
        return {"first_name": first, "last_name": last}
    words = q.split()
    return {"first_name": words[0] if words else "", "last_name": " ".join(words[1:])}


@router.get("/clients")
async def search_page(
    request: Request,
    actor: MouActor,
    db: DbSession,
    moment: Now,
    q: str = "",
    dob: str = "",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
):
    result, dob_error = run_search(db, actor, q, dob, page, moment)
    context = {"q": q, "dob": dob, "dob_error": dob_error, "result": result,
               "searched": bool(q.strip()), "per_page": PER_PAGE, "format_phone": format_phone,
               "NO_PHONE": NO_PHONE, "add": _typed_names(q)}
    template = "clients/_results.html" if request.headers.get("hx-request") else "clients/search.html"
    return render(request, template, context)


# --- the two-page form ------------------------------------------------------------------------


def _form_context(form: ClientForm, today: date, *, errors: dict | None = None,
                  duplicate: DuplicateClient | None = None, duplicates: dict | None = None,
                  mode: str = "new", client: Client | None = None) -> dict:
    errors = errors or {}
    incomplete = incomplete_pages(form, today)
    phones = list(form.phones) + [PhoneEntry("", "mobile")]
    if len(phones) > 1 and not phones[-2].number:
        phones.pop()
    error_pages = {page_of(name) for name in errors}
    return {
        "form": form,
        "phones": phones,
        "errors": errors,
        "error_pages": error_pages,
        "open_page": min(error_pages) if error_pages else 1,
        "complete": {1: 1 not in incomplete, 2: 2 not in incomplete},
        "duplicate": duplicate,
        "duplicates": duplicates or {},
        "mode": mode,
        "client": client,
        "labels": LABELS,
        "housing_reminder": HOUSING_REMINDER,
        "today": today.isoformat(),
        "page1_fields": PAGE_1_FIELDS,
        **vocabularies(),
    }


def _duplicate_clients(db, error: DuplicateClient) -> dict[int, Client]:
    ids = [*error.exact, *(m.client_id for m in error.near)]
    return {c.id: c for c in db.query(Client).filter(Client.id.in_(ids))} if ids else {}


@router.get("/clients/new")
async def new_form(request: Request, actor: MouActor, moment: Now, first_name: str = "",
                   last_name: str = ""):
    form = ClientForm(first_name=first_name, last_name=last_name)
    return render(request, "clients/form.html", _form_context(form, local_date(moment)))


@router.post("/clients/new")
async def create(request: Request, actor: MouActor, db: DbSession, moment: Now):
    data = await posted_form(request)
    form = form_from_page(data)
    today = local_date(moment)
    try:
        details = validate_client(form, today)
        client = create_client(db, details, user_id=actor.user.id, program_id=actor.program_id, now=moment,
                               today=today, acknowledge_near_matches=data.ticked("acknowledge_near_matches"))
    except FieldErrors as exc:
        return render(request, "clients/form.html",
                      _form_context(form, today, errors=exc.errors), 422)
    except TooManyAttempts as exc:
        return render(request, "clients/form.html",
                      _form_context(form, today, errors={"first_name": exc.reason}), 429)
    except DuplicateClient as exc:
        db.commit()  # the count of duplicate answers and the audit of the refusal
        return render(request, "clients/form.html",
                      _form_context(form, today, duplicate=exc,
                                    duplicates=_duplicate_clients(db, exc)), 409)
    db.commit()
    return RedirectResponse(f"/clients/{client.id}?created=1", status_code=303)


# --- the profile ------------------------------------------------------------------------------


def _profile_context(db, view, actor: Actor, today: date, **extra) -> dict:
    client = view.client
    context = {"view": view, "client": client, "labels": LABELS, "label": label,
               "format_phone": format_phone, "NO_PHONE": NO_PHONE,
               "housing_reminder": HOUSING_REMINDER, "field_label": field_label,
               "identity": None, "check_errors": {}, "check_form": {}, **vocabularies(), **extra}
    if view.visible:
        context["chart"] = (referral_chart(db, client.id, acting_of(actor), today)
                            if actor.program is not None else None)
        context["history"] = history(db, client.id)
    return context


@router.get("/clients/{client_id}")
async def profile(request: Request, client_id: Id, actor: MouActor, db: DbSession, moment: Now,
                  created: int = 0, updated: int = 0):
    client = get_client(db, client_id)
    if client.merged_into_id is not None:
        return RedirectResponse(f"/clients/{client.merged_into_id}?merged_from={client.id}",
                                status_code=303)
    view = view_client(db, client, user_id=actor.user.id, program_id=actor.program_id,
                       today=local_date(moment), purpose="profile")
    db.commit()
    merged_from = request.query_params.get("merged_from", "")
    return render(request, "clients/profile.html", _profile_context(
        db, view, actor, local_date(moment), created=created, updated=updated,
        merged_from=merged_from if merged_from.isdigit() else ""))


@router.post("/clients/{client_id}/identity-check")
async def identity_check(request: Request, client_id: Id, actor: MouActor, db: DbSession,
                         moment: Now):
    client = get_client(db, client_id)
    data = await posted_form(request)
    typed = {name: data.text(name) for name in ("dob", "phone", "address")}
    view = view_client(db, client, user_id=actor.user.id, program_id=actor.program_id,
                       today=local_date(moment), purpose="identity_check")
    status, outcome, errors = 200, None, {}
    try:
        claim = parse_identity_claim(typed["dob"], typed["phone"], typed["address"],
                                     local_date(moment))
        outcome = check_identity(db, client, dob=claim.dob, phone=claim.phone,
                                 address=claim.address, user_id=actor.user.id,
                                 program_id=actor.program_id, now=moment)
    except FieldErrors as exc:
        status, errors = 422, exc.errors
    except TooManyAttempts as exc:
        status, errors = 429, {"dob": exc.reason}
    db.commit()
    return render(request, "clients/profile.html", _profile_context(
        db, view, actor, local_date(moment), identity=outcome, check_errors=errors, check_form=typed), status)


# --- editing ----------------------------------------------------------------------------------


def _refuse_merged(client: Client) -> None:
    if client.merged_into_id is not None:
        raise InvalidTransition(
            f"This profile was merged into client {client.merged_into_id}; edit that one.",
            code="client_merged")


NOT_VISIBLE = ("Your program may not see or edit this client's details: it needs a signed "
               "release of information with the client first.")


@router.get("/clients/{client_id}/edit")
async def edit_form(request: Request, client_id: Id, actor: MouActor, db: DbSession, moment: Now):
    client = get_client(db, client_id)
    _refuse_merged(client)
    view = view_client(db, client, user_id=actor.user.id, program_id=actor.program_id,
                       today=local_date(moment), purpose="edit")
    db.commit()  # the view is audited, shown or refused
    if not view.visible:
        raise Forbidden(NOT_VISIBLE, code="client_not_visible")
    form = form_from_details(details_of(client))
    return render(request, "clients/form.html",
                  _form_context(form, local_date(moment), mode="edit", client=client))


@router.post("/clients/{client_id}/edit")
async def edit(request: Request, client_id: Id, actor: MouActor, db: DbSession, moment: Now):
    client = get_client(db, client_id)
    _refuse_merged(client)
    today = local_date(moment)
    if not can_see_client(db, actor.program_id, client.id, today):
        raise Forbidden(NOT_VISIBLE, code="client_not_visible")
    form = form_from_page(await posted_form(request))
    try:
        details = validate_client(form, today)
        update_client(db, client, details, user_id=actor.user.id, program_id=actor.program_id, now=moment,
                      today=today)
    except FieldErrors as exc:
        return render(request, "clients/form.html",
                      _form_context(form, today, errors=exc.errors, mode="edit", client=client), 422)
    except TooManyAttempts as exc:
        return render(request, "clients/form.html",
                      _form_context(form, today, errors={"first_name": exc.reason}, mode="edit", client=client), 429)
    except DuplicateClient as exc:
        db.commit()  # the count of duplicate answers and the audit of the refusal
        return render(request, "clients/form.html",
                      _form_context(form, today, duplicate=exc, duplicates=_duplicate_clients(db, exc),
                                    mode="edit", client=client), 409)
    db.commit()
    return RedirectResponse(f"/clients/{client.id}?updated=1", status_code=303)
