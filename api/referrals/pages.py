"""Referral pages: the client's referral chart and the referral form (Part 4), Agency -> Referrals
and the referral itself (Parts 5 and 6), Sent Referrals (Part 7).

Forms post here and redirect on success; a refused step re-renders the page with the reason and
the field marked. The steps themselves are the same as the JSON API's (api.referrals.actions).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from temporalio.client import WorkflowUpdateFailedError

from api.errors import ApiError, NotFound, failure_answer
from api.forms import PostedForm, posted_form, render
from api.referrals.actions import Filters, ReferralSteps, Steps, find_program, montana_time
from api.referrals.schemas import actions_for
from api.schema_types import Id
from api.updates import key_to_keep
from domain.errors import DomainError, ValidationFailed
from domain.montana import LOCAL
from domain.referral_form import MEDICAL_RECORDS_REMINDER, check_ready_to_send, clean_reason, clean_values, tabs
from domain.referral_status import SERVICE_STATUSES, ContactMethod, ContactOutcome, ReferralState, ServiceStatus
from domain.taxonomy import INSURANCE_TYPES, label_of
from models import audit
from models.clients.records import kept_client
from models.agencies.tables import Program
from models.referrals.queries import (
    STATUS_OPEN,
    ReferralFilters,
    agency_program_ids,
    assignable_people,
    client_gaps,
    client_referrals,
    form_fields,
    incoming_referrals,
    partner_programs,
    referral_cards,
    require_valid_roi,
    sent_referrals,
    staff_of,
    status_choices,
    visible_referral,
)
from models.referrals.tables import Referral
from workflows.referral_contracts import ReferralForm

router = APIRouter(include_in_schema=False)
EXPECTED = (ApiError, DomainError, WorkflowUpdateFailedError)
DONE = {
    "saved": "Saved. The referral is Pending until you send it.",
    "sent": "Sent. The receiving program's gatekeepers have been notified.",
    "assign": "Assigned. The provider and the sender have been notified.",
    "reassign": "Reassigned. The provider and the sender have been notified.",
    "decline": "Declined. The sender has been told why.",
    "status": "Referral Status updated.",
    "progress": "Progress added.",
    "notes": "Added to the call log.",
    "reopen": "Reopened.",
    "withdraw": "Withdrawn.",
}


# After a step that takes the referral out of the person's reach (a provider reassigning it to a
# colleague), its page would answer "not found": they land on their list with what happened.
GONE = {
    "reassign": ("You reassigned referral #{id}. It is now assigned to another person of your program, "
                 "who has been notified, so it is no longer in your list."),
}
GONE_OTHERWISE = "Done. Referral #{id} is no longer in your list: you no longer have access to it."


def _gone_message(verb: str, referral_id: str) -> str:
    if not referral_id.isdigit():
        return ""
    return GONE.get(verb, GONE_OTHERWISE).format(id=int(referral_id))


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- Part 4: the client's referral chart and the referral form --------------------------------

@router.get("/clients/{client_id:int}/referrals")
async def chart(client_id: Id, request: Request, steps: Steps, done: str = ""):
    db = steps.db
    client = kept_client(db, client_id)
    cards = referral_cards(db, client.id, steps.who, steps.today)
    referrals = client_referrals(db, steps.who, client.id)
    if not cards and not referrals and client.created_by_program_id != steps.who.program_id:
        raise NotFound("That client")
    return render(request, "referrals/chart.html", {"client": client, "cards": cards, "referrals": referrals,
                                                    "message": DONE.get(done, "")})


def _form_input(form: PostedForm) -> tuple[ReferralForm, bool, str]:
    return (ReferralForm(form.text("reason"), form.prefixed("field.")), form.text("insurance_confirmed") == "yes",
            form.text("action") or "save")


def _render_form(request: Request, steps: ReferralSteps, client, program: Program, form: ReferralForm, *,
                 referral: Referral | None = None, error: dict | None = None, confirm: bool = False,
                 status: int = 200):
    fields = form_fields(program)
    values = {f.key: form.fields.get(f.key, "") for f in fields}
    # The form shows the client's profile (the sending program holds a valid ROI to get here).
    audit.record_client_view(steps.db, client_id=client.id, user_id=steps.who.user_id,
                             program_id=steps.who.program_id,
                             via=f"referral:{referral.id}:form" if referral else "referral:new")
    steps.db.commit()
    post_url = f"/referrals/{referral.id}/form" if referral else f"/clients/{client.id}/referrals/new"
    return render(request, "referrals/form.html", {
        "client": client, "program": program, "referral": referral, "values": values, "reason": form.reason,
        "tabs": tabs(fields, values, form.reason, client_gaps(client)), "error": error, "confirm": confirm,
        "insurances": [label_of(INSURANCE_TYPES, i.insurance) for i in program.insurances],
        "reminder": MEDICAL_RECORDS_REMINDER, "post_url": post_url,
    }, status)


def _ready(client, program: Program, form: ReferralForm, insured: bool) -> None:
    fields = form_fields(program)
    check_ready_to_send(fields, clean_values(fields, form.fields), clean_reason(form.reason),
                        insurance_confirmed=insured, profile_gaps=client_gaps(client))


@router.get("/clients/{client_id:int}/referrals/new")
async def new_form(client_id: Id, program_id: Id, request: Request, steps: Steps):
    client, program = kept_client(steps.db, client_id), find_program(steps.db, program_id)
    require_valid_roi(steps.db, client_id=client.id, sending_program_id=steps.who.program_id,
                      receiving_program_id=program.id, today=steps.today)
    return _render_form(request, steps, client, program, ReferralForm())


@router.post("/clients/{client_id:int}/referrals/new")
async def create(client_id: Id, request: Request, steps: Steps):
    form = await posted_form(request)
    client = kept_client(steps.db, client_id)
    program = find_program(steps.db, form.number("program_id", "Choose the program to refer the client to."))
    data, insured, action = _form_input(form)
    try:
        if action == "send":
            _ready(client, program, data, insured)
        referral = await steps.create(client.id, program.id, data, send=action == "send", insurance_confirmed=insured)
    except EXPECTED as exc:
        return _form_failure(request, steps, client, program, data, exc)
    return _see_other(f"/clients/{client.id}/referrals?done={'sent' if referral.sent_at else 'saved'}")


def _form_failure(request, steps, client, program, data, exc, referral=None):
    status, body = failure_answer(exc)
    if body.get("error") == "insurance_not_confirmed":  # complete: now ask about insurance (Part 4 F.II)
        return _render_form(request, steps, client, program, data, referral=referral, confirm=True)
    return _render_form(request, steps, client, program, data, referral=referral, error=body, status=status)


@router.post("/referrals/{referral_id:int}/form")
async def save_or_send(referral_id: Id, request: Request, steps: Steps):
    referral = steps.get(referral_id)
    data, insured, action = _form_input(await posted_form(request))
    try:
        if action == "send":
            _ready(referral.client, referral.receiving_program, data, insured)
            referral = await steps.send(referral, data, insured)
        else:
            referral = await steps.save(referral, data)
    except EXPECTED as exc:
        return _form_failure(request, steps, referral.client, referral.receiving_program, data, exc, referral)
    return _see_other(f"/clients/{referral.client_id}/referrals?done={'sent' if referral.sent_at else 'saved'}")


# --- Part 7 and Part 5: the lists -------------------------------------------------------------

def _list(request: Request, steps: ReferralSteps, filters: ReferralFilters, *, outgoing: bool,
          message: str = ""):
    db, who = steps.db, steps.who
    page = sent_referrals(db, who, filters) if outgoing else incoming_referrals(db, who, filters)
    own_programs = agency_program_ids(db, who.program_id) if outgoing else [who.program_id]
    query = {k: v for k, v in dict(status=filters.status, date_from=filters.date_from or "",
                                   date_to=filters.date_to or "", program_id=filters.program_id or "",
                                   staff_id=filters.staff_id or "", q=filters.q).items() if v}
    return render(request, "referrals/list.html", {
        "title": "Sent Referrals" if outgoing else f"Referrals to {steps.actor.program.display_name}",
        "intro": ("Referrals sent from your agency, and what became of them." if outgoing and who.is_gatekeeper
                  else "Referrals you sent, and what became of them." if outgoing
                  else "Incoming referrals of your program." if who.is_gatekeeper
                  else "Incoming referrals assigned to you."),
        "path": request.url.path, "page": page, "filters": filters, "outgoing": outgoing,
        "status_choices": status_choices(), "programs": partner_programs(db, own_programs, outgoing=outgoing),
        "program_label": "Receiving program" if outgoing else "Sending program",
        "staff": staff_of(db, own_programs) if who.is_gatekeeper else [],
        "staff_label": "Staff member (sent by)" if outgoing else "Staff member (assigned to)",
        "filtered": any(k != "status" for k in query) or filters.status != STATUS_OPEN,
        "query": urlencode(query), "message": message,
    })


@router.get("/referrals/sent")
async def sent(request: Request, steps: Steps, filters: Filters):
    return _list(request, steps, filters, outgoing=True)


@router.get("/agency/referrals")
async def incoming(request: Request, steps: Steps, filters: Filters, done: str = "", referral: str = ""):
    return _list(request, steps, filters, outgoing=False, message=_gone_message(done, referral) if done else "")


# --- Parts 5 and 6: one referral --------------------------------------------------------------

def _render_detail(request: Request, steps: ReferralSteps, referral: Referral, *, error: dict | None = None,
                   error_action: str | None = None, message: str = "", status: int = 200,
                   kept_key: str = ""):
    who = steps.who
    full = steps.sees_client(referral)
    if full:
        steps.record_client_view(referral, f"referral:{referral.id}")
    now_local = steps.now.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")
    return render(request, "referrals/detail.html", {
        "referral": referral, "full": full, "actions": [a.value for a in actions_for(who, referral)],
        "fields": form_fields(referral.receiving_program),
        "assignable": assignable_people(steps.db, referral.receiving_program_id),
        "statuses": list(SERVICE_STATUSES.items()), "methods": list(ContactMethod), "outcomes": list(ContactOutcome),
        "error": error, "error_action": error_action, "message": message, "now_local": now_local,
        "kept_key": kept_key,
    }, status)


@router.get("/referrals/{referral_id:int}")
async def show(referral_id: Id, request: Request, steps: Steps, done: str = ""):
    referral = steps.get(referral_id)
    if referral.state == ReferralState.PENDING.value and "save" in [a.value for a in actions_for(steps.who, referral)]:
        data = ReferralForm(referral.reason, dict(referral.form_data))
        return _render_form(request, steps, referral.client, referral.receiving_program, data, referral=referral)
    return _render_detail(request, steps, referral, message=DONE.get(done, ""))


def _contacted_at(value: str) -> datetime:
    try:
        return montana_time(datetime.fromisoformat(value))
    except ValueError:
        raise ValidationFailed("Enter the date and time of the contact.", field="contacted_at",
                               code="not_a_date") from None


def _provider_id(value: str) -> int:
    if not value.isdigit():
        raise ValidationFailed("Choose a provider from the list.", field="provider_id", code="no_provider")
    return int(value)


@router.post("/referrals/{referral_id:int}/{verb}")
async def act(referral_id: Id, verb: str, request: Request, steps: Steps):
    referral = steps.get(referral_id)
    form = await posted_form(request)
    text = form.text
    steps_by_verb = {
        "assign": lambda: steps.assign(referral, _provider_id(text("provider_id"))),
        "reassign": lambda: steps.assign(referral, _provider_id(text("provider_id")), reassign=True),
        "decline": lambda: steps.decline(referral, text("reason")),
        "status": lambda: steps.update_status(referral, _status(text("status")), text("comment")),
        "progress": lambda: steps.add_progress(referral, text("text")),
        "notes": lambda: steps.add_note(referral, _contacted_at(text("contacted_at")),
                                        _choice(ContactMethod, text("method"), "method"),
                                        _choice(ContactOutcome, text("outcome"), "outcome"), text("text")),
        "reopen": lambda: steps.reopen(referral, text("reason")),
        "withdraw": lambda: steps.withdraw(referral, text("reason")),
    }
    if verb not in steps_by_verb:
        raise NotFound("That page")
    try:
        await steps_by_verb[verb]()
    except EXPECTED as exc:
        status, body = failure_answer(exc)
        steps.db.expire_all()
        return _render_detail(request, steps, steps.get(referral_id), error=body, error_action=verb, status=status,
                              kept_key=key_to_keep(form, status))
    steps.db.expire_all()
    if visible_referral(steps.db, steps.who, referral_id) is None:
        return _see_other(f"/agency/referrals?{urlencode({'done': verb, 'referral': referral_id})}")
    return _see_other(f"/referrals/{referral_id}?done={verb}")


def _status(value: str) -> ServiceStatus:
    try:
        return ServiceStatus(value)
    except ValueError:
        raise ValidationFailed("Choose a Referral Status from the list.", field="status", code="status_missing") from None


def _choice(enum, value: str, field: str):
    try:
        return enum(value)
    except ValueError:
        raise ValidationFailed("Choose one of the options listed.", field=field, code="not_a_choice") from None
