"""A gatekeeper's page and API for their program's capacity and freshness: /agency/programs/{id}
(and /api/v1/agency/programs/{id}/...). Every change is checked against the gatekeeper's
membership and audited (models.agencies.program_status)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from api.deps import DbSession, Now, UserMouActor
from api.errors import NotFound
from api.forms import FormFailure, form_data, form_errors, form_status, render
from api.schema_types import Id
from domain.montana import local_date
from domain.program_status import Capacity, capacity_label, needs_verification
from models.agencies import program_status as status
from models.agencies.tables import Program

router = APIRouter(tags=["programs"])

# After confirming from the agency MOU page, the gatekeeper goes back there.
BACK_TO_MOU = "/agency/mou/{program_id}"


class CapacityIn(BaseModel):
    capacity: Capacity = Field(description="accepting, waitlist, not_accepting or assessment_required.")


class ProgramStatusOut(BaseModel):
    program_id: int
    display_name: str
    capacity: str = Field(description="The capacity code (empty: not said yet).")
    capacity_label: str
    assured_on: date | None = Field(description="When a gatekeeper last confirmed the details.")
    assured_by: str | None = Field(description="Who confirmed them (name).")
    needs_verification: bool = Field(description="Never confirmed, or last confirmed a year ago or more.")


def _program(db, actor, program_id: int) -> Program:
    program = db.get(Program, program_id)
    if program is None:
        raise NotFound("That program")
    status.require_gatekeeper(actor.user, program)
    return program


def status_out(db, program: Program, today: date) -> ProgramStatusOut:
    from models.accounts.tables import User

    by = db.get(User, program.assured_by_id) if program.assured_by_id else None
    return ProgramStatusOut(program_id=program.id, display_name=program.display_name, capacity=program.capacity,
                            capacity_label=capacity_label(program.capacity), assured_on=program.assured_on,
                            assured_by=by.full_name if by else (program.assurer_email or None),
                            needs_verification=needs_verification(program.assured_on, today))


def _page(request, db, program, moment, errors=None, status_code=200):
    return render(request, "program_status/program.html",
                  {"program": program, "status": status_out(db, program, local_date(moment)),
                   "capacities": list(Capacity), "errors": errors or {}}, status_code)


@router.get("/agency/programs/{program_id}", include_in_schema=False)
async def program_page(request: Request, program_id: Id, actor: UserMouActor, db: DbSession, moment: Now):
    return _page(request, db, _program(db, actor, program_id), moment)


@router.post("/agency/programs/{program_id}/capacity", include_in_schema=False)
async def capacity_page(request: Request, program_id: Id, actor: UserMouActor, db: DbSession, moment: Now):
    program = _program(db, actor, program_id)
    try:
        status.set_capacity(db, program, actor.user, str((await form_data(request)).get("capacity", "")))
        db.commit()
    except FormFailure as err:
        db.rollback()
        return _page(request, db, program, moment, form_errors(err), form_status(err))
    return RedirectResponse(f"/agency/programs/{program_id}?done=capacity", status_code=303)


@router.post("/agency/programs/{program_id}/confirm", include_in_schema=False)
async def confirm_page(request: Request, program_id: Id, actor: UserMouActor, db: DbSession, moment: Now):
    program = _program(db, actor, program_id)
    status.confirm_details(db, program, actor.user, local_date(moment))
    db.commit()
    back = BACK_TO_MOU.format(program_id=program_id)
    if (await form_data(request)).get("back") == back:
        return RedirectResponse(f"{back}?done=confirmed", status_code=303)
    return RedirectResponse(f"/agency/programs/{program_id}?done=confirmed", status_code=303)


@router.get("/api/v1/agency/programs/{program_id}/status")
async def program_status(program_id: Id, actor: UserMouActor, db: DbSession, moment: Now) -> ProgramStatusOut:
    """Your program's capacity and when its details were last confirmed (gatekeepers only)."""
    return status_out(db, _program(db, actor, program_id), local_date(moment))


@router.post("/api/v1/agency/programs/{program_id}/capacity")
async def program_capacity(program_id: Id, data: CapacityIn, actor: UserMouActor, db: DbSession,
                           moment: Now) -> ProgramStatusOut:
    """Sets your program's capacity, shown in the directory and published in /hsds (audited)."""
    program = _program(db, actor, program_id)
    status.set_capacity(db, program, actor.user, data.capacity.value)
    db.commit()
    return status_out(db, program, local_date(moment))


@router.post("/api/v1/agency/programs/{program_id}/assurance")
async def program_assurance(program_id: Id, actor: UserMouActor, db: DbSession, moment: Now) -> ProgramStatusOut:
    """Confirms your program's directory details are right today (an audited assurance)."""
    program = _program(db, actor, program_id)
    status.confirm_details(db, program, actor.user, local_date(moment))
    db.commit()
    return status_out(db, program, local_date(moment))
