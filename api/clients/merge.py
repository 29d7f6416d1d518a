"""Administrators' page to merge duplicate client profiles, and to undo a merge.

State team: any client; designated administrators: clients living in their regions
(``models.clients.records.may_merge``). Comparing two profiles shows their details, so it is
audited as a view of each.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from api.clients.forms import MergeActor, label, vocabularies
from api.deps import Actor, DbSession
from api.forms import posted_form, render
from api.schema_types import Id
from domain.errors import DomainError
from domain.matching import match, parse_name_query
from domain.phones import format_phone
from models import audit
from models.clients.records import (
    get_client,
    identity_of,
    may_merge,
    merge_clients,
    unmerge_client,
)
from models.clients.search import find_candidates
from models.clients.tables import Client, ClientChange
from models.referrals.tables import Referral
from models.releases.tables import ReleaseOfInformation

router = APIRouter(include_in_schema=False)

RECENT_MERGES = 20


def _counts(db, client: Client) -> dict:
    def count(model):
        return db.scalar(select(func.count()).select_from(model).where(model.client_id == client.id))

    return {"referrals": count(Referral), "rois": count(ReleaseOfInformation),
            "history": count(ClientChange), "phones": len(client.phones)}


def _audit_view(db, actor: Actor, client: Client) -> None:
    audit.record_client_view(db, client_id=client.id, user_id=actor.user.id,
                             program_id=actor.program_id, via="merge", view="full", purpose="merge",
                             fields=["first_name", "last_name", "dob", "address", "city", "county",
                                     "zip", "phones"])


def _recent_merges(db, actor: Actor) -> list[tuple[ClientChange, Client, Client]]:
    rows = []
    merged = db.scalars(select(ClientChange).where(ClientChange.kind == "merged")
                        .order_by(ClientChange.id.desc()).limit(RECENT_MERGES * 5))
    for change in merged:
        duplicate_id = change.changes.get("merged_client_id")
        if duplicate_id is None:
            continue
        duplicate, survivor = db.get(Client, duplicate_id), db.get(Client, change.client_id)
        if duplicate.merged_into_id == survivor.id and may_merge(actor.user, survivor, duplicate):
            rows.append((change, survivor, duplicate))
        if len(rows) == RECENT_MERGES:
            break
    return rows


def _page(request: Request, db, actor: Actor, *, survivor_id: str = "", duplicate_id: str = "",
          q: str = "", error: str = "", notice: str = "", status: int = 200):
    pair, reasons, counts = None, [], {}
    if survivor_id.isdigit() and duplicate_id.isdigit() and not error:
        survivor, duplicate = get_client(db, int(survivor_id)), get_client(db, int(duplicate_id))
        if not may_merge(actor.user, survivor, duplicate):
            error = ("You can merge only clients living in your regions; ask the state team for "
                     "the others.")
        else:
            pair = (survivor, duplicate)
            result = match(identity_of(duplicate), identity_of(survivor))
            reasons = result.reasons or ["These profiles do not look like the same person."]
            counts = {c.id: _counts(db, c) for c in pair}
            for client in pair:
                _audit_view(db, actor, client)
    found = []
    if q.strip():
        ids = find_candidates(db, parse_name_query(q))[:50]
        clients = {c.id: c for c in db.scalars(select(Client).where(Client.id.in_(ids)))} if ids else {}
        found = [clients[i] for i in ids if i in clients and may_merge(actor.user, clients[i])]
        if found:
            audit.record(db, action="client.searched", entity_type="client", entity_id="search",
                         user_id=actor.user.id, program_id=actor.program_id, purpose="merge",
                         shown=[c.id for c in found], fields=["first_name", "last_name", "dob",
                                                               "city", "county"])
    db.commit()
    return render(request, "clients/merge.html", {
        "pair": pair, "reasons": reasons, "counts": counts, "q": q, "found": found,
        "survivor_id": survivor_id, "duplicate_id": duplicate_id, "error": error,
        "notice": notice, "recent": _recent_merges(db, actor), "format_phone": format_phone,
        "label": label, **vocabularies(),
    }, status)


@router.get("/admin/clients/merge")
async def merge_page(request: Request, actor: MergeActor, db: DbSession, survivor: str = "",
                     duplicate: str = "", q: str = "", merged: str = "", unmerged: str = ""):
    notice = ""
    if merged.isdigit():
        notice = f"Client {merged} was merged; its referrals, ROIs, phones and history moved."
    elif unmerged.isdigit():
        notice = f"The merge of client {unmerged} was undone."
    return _page(request, db, actor, survivor_id=survivor, duplicate_id=duplicate, q=q,
                 notice=notice)


@router.post("/admin/clients/merge")
async def merge(request: Request, actor: MergeActor, db: DbSession):
    data = await posted_form(request)
    survivor_id, duplicate_id = data.text("survivor_id"), data.text("duplicate_id")
    if not (survivor_id.isdigit() and duplicate_id.isdigit()):
        return _page(request, db, actor, error="Enter the numbers of both profiles.", status=422)
    if not data.ticked("confirm"):
        return _page(request, db, actor, survivor_id=survivor_id, duplicate_id=duplicate_id,
                     error="Tick the box to confirm that both profiles are the same person.",
                     status=422)
    survivor, duplicate = get_client(db, int(survivor_id)), get_client(db, int(duplicate_id))
    try:
        merge_clients(db, survivor, duplicate, user=actor.user, program_id=actor.program_id)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, actor, error=exc.reason, status=409)
    db.commit()
    return RedirectResponse(f"/admin/clients/merge?merged={duplicate.id}", status_code=303)


@router.post("/admin/clients/{client_id}/unmerge")
async def unmerge(request: Request, client_id: Id, actor: MergeActor, db: DbSession):
    duplicate = get_client(db, client_id)
    try:
        unmerge_client(db, duplicate, user=actor.user, program_id=actor.program_id)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, actor, error=exc.reason, status=409)
    db.commit()
    return RedirectResponse(f"/admin/clients/merge?unmerged={duplicate.id}", status_code=303)
