"""The referral JSON API (/api/v1/referrals): every step of Parts 4 to 7, for API clients with a
token (`Authorization: Bearer ...`) as well as for the pages' scripts.

A refused step answers 4xx with the reason: 403 not allowed, 404 not found (also for a referral of
another program, as if it did not exist), 409 wrong state or already assigned (with the
assignee), 422 bad input (with the field). Send `Idempotency-Key` to make a retry safe.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbSession, MouActor
from api.referrals.actions import Filters, ReferralSteps, Steps, find_program, montana_time
from api.referrals.schemas import (
    AssignIn,
    CardOut,
    FormIn,
    FormOut,
    NewReferralIn,
    NoteIn,
    ProgressIn,
    ReasonIn,
    ReferralOut,
    ReferralPage,
    Named,
    SendIn,
    StatusIn,
    StatusOut,
    card_out,
    detail,
    page_out,
)
from api.schema_types import Id
from domain.referral_form import tabs
from domain.referral_status import SERVICE_STATUSES
from models.clients.records import kept_client
from models.referrals.queries import (
    assignable_people,
    client_gaps,
    form_fields,
    incoming_referrals,
    referral_cards,
    require_valid_roi,
    sent_referrals,
)
from models.referrals.tables import Referral
from workflows.referral_contracts import ReferralForm

router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"])


@router.get("/statuses", response_model=list[StatusOut], summary="The 13 Referral Statuses, with help text")
async def statuses(actor: MouActor):
    return [StatusOut(status=s, help_text=i.help_text, closes=i.closes, fhir_task_status=i.fhir_task_status.value)
            for s, i in SERVICE_STATUSES.items()]


@router.get("/cards", response_model=list[CardOut], summary="The client's referral chart")
async def cards(client_id: Id, db: DbSession, steps: Steps):
    client = kept_client(db, client_id)
    return [card_out(c) for c in referral_cards(db, client.id, steps.who, steps.today)]


@router.get("/form", summary="The referral form of a program: its tabs, fields and what is missing")
async def form(client_id: Id, program_id: Id, db: DbSession, steps: Steps) -> FormOut:
    client, program = kept_client(db, client_id), find_program(db, program_id)
    require_valid_roi(db, client_id=client.id, sending_program_id=steps.who.program_id,
                      receiving_program_id=program.id, today=steps.today)
    return {"program": {"id": program.id, "name": program.display_name},
            "tabs": [{"name": t.name, "complete": t.complete, "missing": list(t.missing),
                      "fields": [{"key": f.key, "label": f.label, "kind": f.kind.value, "required": f.required,
                                  "choices": list(f.choices)} for f in t.fields]}
                     for t in tabs(form_fields(program), {}, "", client_gaps(client))]}


@router.post("", response_model=ReferralOut, status_code=201, summary="Start a referral: save it or send it")
async def create(body: NewReferralIn, steps: Steps):
    referral = await steps.create(body.client_id, body.receiving_program_id,
                                  ReferralForm(body.reason, body.fields), send=body.send,
                                  insurance_confirmed=body.insurance_confirmed)
    return _detail(steps, referral)


@router.get("/incoming", response_model=ReferralPage, summary="Agency -> Referrals: referrals sent to your program")
async def incoming(filters: Filters, db: DbSession, steps: Steps):
    return page_out(incoming_referrals(db, steps.who, filters))


@router.get("/sent", response_model=ReferralPage, summary="Sent Referrals")
async def sent(filters: Filters, db: DbSession, steps: Steps):
    return page_out(sent_referrals(db, steps.who, filters))


@router.get("/{referral_id}", response_model=ReferralOut)
async def read(referral_id: Id, steps: Steps):
    referral = steps.get(referral_id)
    if steps.sees_client(referral):
        steps.record_client_view(referral, f"api:referral:{referral.id}")
    return _detail(steps, referral)


@router.get("/{referral_id}/assignable", response_model=list[Named],
            summary="The people of the receiving program it can be assigned to")
async def assignable(referral_id: Id, db: DbSession, steps: Steps):
    referral = steps.get(referral_id)
    return [Named(id=u.id, name=u.full_name) for u in assignable_people(db, referral.receiving_program_id)]


@router.post("/{referral_id}/save", response_model=ReferralOut, summary="Save Progress (stays Pending)")
async def save(referral_id: Id, body: FormIn, steps: Steps):
    referral = await steps.save(steps.get(referral_id), ReferralForm(body.reason, body.fields))
    return _detail(steps, referral)


@router.post("/{referral_id}/send", response_model=ReferralOut)
async def send(referral_id: Id, body: SendIn, steps: Steps):
    referral = steps.get(referral_id)
    form = None
    if body.reason is not None or body.fields is not None:  # change what was saved, then send
        form = ReferralForm(referral.reason if body.reason is None else body.reason,
                            dict(referral.form_data) if body.fields is None else body.fields)
    return _detail(steps, await steps.send(referral, form, body.insurance_confirmed))


@router.post("/{referral_id}/withdraw", response_model=ReferralOut)
async def withdraw(referral_id: Id, body: ReasonIn, steps: Steps):
    return _detail(steps, await steps.withdraw(steps.get(referral_id), body.reason))


@router.post("/{referral_id}/assign", response_model=ReferralOut, responses={409: {"description": "Already assigned (with the assignee)"}})
async def assign(referral_id: Id, body: AssignIn, steps: Steps):
    return _detail(steps, await steps.assign(steps.get(referral_id), body.provider_id))


@router.post("/{referral_id}/reassign", response_model=ReferralOut)
async def reassign(referral_id: Id, body: AssignIn, steps: Steps):
    return _detail(steps, await steps.assign(steps.get(referral_id), body.provider_id, reassign=True))


@router.post("/{referral_id}/decline", response_model=ReferralOut)
async def decline(referral_id: Id, body: ReasonIn, steps: Steps):
    return _detail(steps, await steps.decline(steps.get(referral_id), body.reason))


@router.post("/{referral_id}/status", response_model=ReferralOut, summary="Update the Referral Status")
async def update_status(referral_id: Id, body: StatusIn, steps: Steps):
    return _detail(steps, await steps.update_status(steps.get(referral_id), body.status, body.comment))


@router.post("/{referral_id}/progress", response_model=ReferralOut)
async def add_progress(referral_id: Id, body: ProgressIn, steps: Steps):
    return _detail(steps, await steps.add_progress(steps.get(referral_id), body.text))


@router.post("/{referral_id}/notes", response_model=ReferralOut, summary="Add a call-log note")
async def add_note(referral_id: Id, body: NoteIn, steps: Steps):
    referral = await steps.add_note(steps.get(referral_id), montana_time(body.contacted_at), body.method,
                                    body.outcome, body.text)
    return _detail(steps, referral)


@router.post("/{referral_id}/reopen", response_model=ReferralOut)
async def reopen(referral_id: Id, body: ReasonIn, steps: Steps):
    return _detail(steps, await steps.reopen(steps.get(referral_id), body.reason))



def _detail(steps: ReferralSteps, referral: Referral) -> ReferralOut:
    return detail(steps.who, referral, steps.sees_client(referral))
