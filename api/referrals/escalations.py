"""The escalation queue, as pages (/escalations) and JSON (/api/v1/escalations): the state team
sees every region, a designated administrator their own regions. An alert of another region
answers 404, as if it did not exist. The queue shows programs and referral numbers, not the
client: escalation is about a program that did not answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from api.deps import Actor, AdminActor, DbSession, Now, user_mou_current
from api.errors import ApiError, Forbidden, NotFound, failure_answer
from api.forms import posted_form, render
from api.schema_types import Id, LongText, PageNumber
from domain.errors import DomainError
from domain.montana import REGIONS, local_date
from models.referrals import escalations as queue
from models.referrals.queries import programs_named
from models.referrals.tables import Escalation


async def escalation_staff(actor: AdminActor, moment: Now) -> Actor:
    if not user_mou_current(actor.user, local_date(moment)):
        raise Forbidden("You must sign the CONNECT User MOU before you can work escalations.",
                        code="user_mou_required", link="/mou")
    return actor


Staff = Annotated[Actor, Depends(escalation_staff)]
api = APIRouter(prefix="/api/v1/escalations", tags=["escalations"])
pages = APIRouter(include_in_schema=False)


def _find(db, actor: Actor, escalation_id: int) -> Escalation:
    escalation = queue.visible_escalation(db, actor.user, escalation_id)
    if escalation is None:
        raise NotFound("That escalation")
    return escalation


class EscalationOut(BaseModel):
    id: int
    referral_id: Id
    region: int
    region_name: str
    sending_program: str
    receiving_program: str
    referral_state: str
    raised_at: datetime
    claimed_by: str | None
    resolved_at: datetime | None
    resolution: str
    suggestions: list[str]
    comments: list[dict]


class EscalationList(BaseModel):
    items: list[EscalationOut]
    total: int
    page: int
    pages: int


class TextIn(BaseModel):
    text: LongText


def _out(db, e: Escalation, *, full: bool = False) -> EscalationOut:
    r = e.referral
    return EscalationOut(
        id=e.id, referral_id=r.id, region=e.region, region_name=REGIONS.get(e.region, str(e.region)),
        sending_program=r.sending_program.display_name, receiving_program=r.receiving_program.display_name,
        referral_state=r.state, raised_at=e.raised_at,
        claimed_by=e.claimed_by.full_name if e.claimed_by else None, resolved_at=e.resolved_at,
        resolution=e.resolution,
        suggestions=[p.display_name for p in programs_named(db, e.suggestions)] if full else [],
        comments=[{"at": c.at.isoformat(), "by": c.user.full_name, "text": c.text} for c in e.comments] if full else [])


@api.get("", response_model=EscalationList)
async def list_escalations(db: DbSession, actor: Staff,
                           show: Annotated[str, Query(description="Which escalations: " + ", ".join(
                               f"{value} ({label.lower()})" for value, label in queue.QUEUE_CHOICES))] = "unresolved",
                           region: Annotated[int | None, Query(description="Only escalations of this region (1 to 5)")] = None,
                           page: PageNumber = 1):
    found = queue.escalation_queue(db, actor.user, show=show, region=region, page=page)
    return EscalationList(items=[_out(db, e) for e in found.items], total=found.total, page=found.number,
                          pages=found.pages)


@api.get("/{escalation_id}", response_model=EscalationOut)
async def read_escalation(escalation_id: Id, db: DbSession, actor: Staff):
    return _out(db, _find(db, actor, escalation_id), full=True)


async def _work(db, actor: Actor, escalation_id: int, moment: datetime, step: str, text: str = "") -> Escalation:
    escalation = _find(db, actor, escalation_id)
    if step == "claim":
        queue.claim(db, actor.user, escalation, moment)
    elif step == "comment":
        queue.comment(db, actor.user, escalation, text, moment)
    elif step == "resolve":
        queue.resolve(db, actor.user, escalation, text, moment)
    else:
        raise NotFound("That page")
    db.commit()
    db.expire(escalation)
    return escalation


@api.post("/{escalation_id}/claim", response_model=EscalationOut)
async def claim(escalation_id: Id, db: DbSession, actor: Staff, moment: Now):
    return _out(db, await _work(db, actor, escalation_id, moment, "claim"), full=True)


@api.post("/{escalation_id}/comments", response_model=EscalationOut)
async def comment(escalation_id: Id, body: TextIn, db: DbSession, actor: Staff, moment: Now):
    return _out(db, await _work(db, actor, escalation_id, moment, "comment", body.text), full=True)


@api.post("/{escalation_id}/resolve", response_model=EscalationOut)
async def resolve(escalation_id: Id, body: TextIn, db: DbSession, actor: Staff, moment: Now):
    return _out(db, await _work(db, actor, escalation_id, moment, "resolve", body.text), full=True)


# --- pages ------------------------------------------------------------------------------------

@pages.get("/escalations")
async def queue_page(request: Request, db: DbSession, actor: Staff, show: str = "unresolved",
                     region: str = "", page: int = 1):
    region_number = int(region) if region.isdigit() else None
    found = queue.escalation_queue(db, actor.user, show=show, region=region_number, page=page)
    regions = queue.regions_of(actor.user)
    return render(request, "escalations/list.html", {
        "page": found, "show": show, "region": region_number, "choices": queue.QUEUE_CHOICES,
        "regions": [(n, name) for n, name in REGIONS.items() if regions is None or n in regions],
        "query": f"show={show}&region={region_number or ''}"})


def _detail(request: Request, db, escalation: Escalation, *, error: dict | None = None, step: str = "",
            status: int = 200):
    return render(request, "escalations/detail.html", {
        "e": escalation, "suggestions": programs_named(db, escalation.suggestions), "error": error,
        "step": step, "region_name": REGIONS.get(escalation.region, "")}, status)


@pages.get("/escalations/{escalation_id:int}")
async def detail_page(escalation_id: Id, request: Request, db: DbSession, actor: Staff):
    return _detail(request, db, _find(db, actor, escalation_id))


@pages.post("/escalations/{escalation_id:int}/{step}")
async def work_page(escalation_id: Id, step: str, request: Request, db: DbSession, actor: Staff, moment: Now):
    form = await posted_form(request)
    try:
        await _work(db, actor, escalation_id, moment, step, form.text("text"))
    except (ApiError, DomainError) as exc:
        if isinstance(exc, NotFound):
            raise
        db.rollback()
        status, body = failure_answer(exc)
        return _detail(request, db, _find(db, actor, escalation_id), error=body, step=step, status=status)
    return RedirectResponse(f"/escalations/{escalation_id}", status_code=303)
