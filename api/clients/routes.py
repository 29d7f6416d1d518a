"""The client JSON API: /api/v1/clients (search, create, read, update, history, identity check,
merge, unmerge). Rules, messages and audit are the pages' own (``models.clients.records``);
failures answer through the one error handler: 422 with a reason per field, 409 for a duplicate
with the candidate ids, 403 when the program may not see the client.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api import etags

from api.clients.forms import (
    ClientHistoryOut,
    ClientIn,
    ClientProfileOut,
    ClientSearchOut,
    IdentityMatchOut,
    MergeOut,
    UnmergeOut,
    IdentityCheckIn,
    MergeActor,
    MergeIn,
    NewClientIn,
    client_json,
    run_search,
    search_json,
)
from api.deps import DbSession, MouActor, Now
from api.errors import Forbidden
from api.schema_types import Code, Id, PerPage, ShortText, UpdatedSince, as_utc
from domain.client_profile import DuplicateClient, parse_identity_claim, validate_client
from domain.errors import InvalidTransition, ValidationFailed
from domain.montana import local_date
from models.clients.access import can_see_client
from models.clients.records import (
    get_client,
    ClientView,
    check_identity,
    create_client,
    history,
    merge_clients,
    unmerge_client,
    update_client,
    view_client,
)
from models.clients.search import PER_PAGE as SEARCH_PER_PAGE


router = APIRouter(prefix="/api/v1/clients", tags=["clients"])

NOT_VISIBLE = ("Your program may not see this client's details: it needs a signed release of "
               "information with the client first.")


@router.get("", summary="Search clients by name", response_model=ClientSearchOut, response_model_exclude_unset=True)
async def search(actor: MouActor, db: DbSession, moment: Now,
                 q: Annotated[ShortText, Query(description="Part of the first or last name")] = "",
                 dob: Annotated[Code, Query(description="Date of birth, YYYY-MM-DD or MM/DD/YYYY")] = "",
                 page: Annotated[int, Query(ge=1, le=1000, description="The page to return, from 1.")] = 1,
                 per_page: PerPage = SEARCH_PER_PAGE, updated_since: UpdatedSince = None):
    """Partial, accent- and case-insensitive, tolerant of typos and nicknames; ``dob`` narrows.
    Clients the program may not see come with their name and year of birth only.
    ``updated_since`` keeps the clients changed since then; without ``q`` it lists every client
    your program may see that changed since then (to poll for changes)."""
    result, dob_error = run_search(db, actor, q, dob, page, moment, per_page=per_page,
                                   since=as_utc(updated_since))
    if dob_error:
        raise ValidationFailed(dob_error, field="dob")
    return search_json(result)


@router.post("", status_code=201, summary="Add a client", response_model=ClientProfileOut, response_model_exclude_unset=True)
async def create(body: NewClientIn, actor: MouActor, db: DbSession, moment: Now):
    """409 ``duplicate`` lists ``exact`` matches (creation refused) and ``near`` ones (send again
    with ``acknowledge_near_matches: true`` once checked with the client)."""
    today = local_date(moment)
    details = validate_client(body.form(), today)
    try:
        client = create_client(db, details, user_id=actor.user.id, program_id=actor.program_id, now=moment,
                               today=today, acknowledge_near_matches=body.acknowledge_near_matches)
    except DuplicateClient:
        db.commit()  # the count of duplicate answers and the audit of the refusal
        raise
    db.commit()
    return client_json(ClientView(client, visible=True))


@router.get("/{client_id}", summary="Read a client", response_model=ClientProfileOut, response_model_exclude_unset=True,
            responses=etags.READ)
async def read(client_id: Id, actor: MouActor, db: DbSession, moment: Now, response: Response):
    """A client your program may see comes with an `ETag`: send it as `If-Match` when you update."""
    client = get_client(db, client_id)
    view = view_client(db, client, user_id=actor.user.id, program_id=actor.program_id,
                       today=local_date(moment), purpose="api")
    db.commit()
    return etags.tagged(response, client_json(view)) if view.visible else client_json(view)


def _visible_client(db, client_id: int, actor, moment):
    client = get_client(db, client_id)
    if client.merged_into_id is not None:
        raise InvalidTransition(
            f"This profile was merged into client {client.merged_into_id}; use that one.",
            code="client_merged")
    if not can_see_client(db, actor.program_id, client.id, local_date(moment)):
        raise Forbidden(NOT_VISIBLE, code="client_not_visible")
    return client


@router.put("/{client_id}", summary="Update a client (the whole profile)", response_model=ClientProfileOut,
            response_model_exclude_unset=True, responses=etags.WRITE)
async def replace(client_id: Id, body: ClientIn, actor: MouActor, db: DbSession, moment: Now, response: Response,
                  if_match: etags.IfMatch = None):
    """With `If-Match`, the update is refused (412) if the profile changed since you read it."""
    client = _visible_client(db, client_id, actor, moment)
    details = validate_client(body.form(), local_date(moment))
    if if_match is not None:
        db.refresh(client, with_for_update=True)  # no other write between the check and this one
        etags.check_if_match(if_match, client_json(ClientView(client, visible=True)))
    try:
        changed = update_client(db, client, details, user_id=actor.user.id, program_id=actor.program_id,
                                now=moment, today=local_date(moment))
    except DuplicateClient:
        db.commit()  # the count of duplicate answers and the audit of the refusal
        raise
    db.commit()
    return {**etags.tagged(response, client_json(ClientView(client, visible=True))), "changed": changed}


@router.get("/{client_id}/history", summary="A client's history of changes")
async def changes(client_id: Id, actor: MouActor, db: DbSession, moment: Now) -> ClientHistoryOut:
    client = get_client(db, client_id)
    view = view_client(db, client, user_id=actor.user.id, program_id=actor.program_id,
                       today=local_date(moment), purpose="history")
    db.commit()
    if not view.visible:
        raise Forbidden(NOT_VISIBLE, code="client_not_visible")
    return {"history": [
        {"id": e.change.id, "at": e.change.at.isoformat(), "kind": e.change.kind,
         "user_id": e.change.user_id, "by": e.by, "program_id": e.change.program_id,
         "program": e.program, "changes": e.change.changes}
        for e in history(db, client.id)
    ]}


@router.post("/{client_id}/identity-check", summary="Check what the client says against the profile")
async def identity_check(client_id: Id, body: IdentityCheckIn, actor: MouActor, db: DbSession,
                         moment: Now) -> IdentityMatchOut:
    """Answers only whether the date of birth and the phone or address the client gives match
    the profile (the guide's four points), never what is stored; 5 checks a day per client."""
    client = get_client(db, client_id)
    claim = parse_identity_claim(body.dob, body.phone, body.address, local_date(moment))
    matched = check_identity(db, client, dob=claim.dob, phone=claim.phone, address=claim.address,
                             user_id=actor.user.id, program_id=actor.program_id, now=moment)
    db.commit()
    return {"match": matched}


@router.post("/{client_id}/merge", summary="Merge a duplicate profile into this one (administrators)")
async def merge(client_id: Id, body: MergeIn, actor: MergeActor, db: DbSession) -> MergeOut:
    survivor = get_client(db, client_id)
    duplicate = get_client(db, body.duplicate_id)
    record = merge_clients(db, survivor, duplicate, user=actor.user, program_id=actor.program_id)
    db.commit()
    return {"survivor_id": survivor.id, "merged_id": duplicate.id, "merge_id": record.id,
            "moved": record.changes["moved"]}


@router.post("/{client_id}/unmerge", summary="Undo the merge of this profile (administrators)")
async def unmerge(client_id: Id, actor: MergeActor, db: DbSession) -> UnmergeOut:
    duplicate = get_client(db, client_id)
    survivor_id = duplicate.merged_into_id
    record = unmerge_client(db, duplicate, user=actor.user, program_id=actor.program_id)
    db.commit()
    return {"client_id": duplicate.id, "survivor_id": survivor_id,
            "moved_back": record.changes["moved_back"]}
