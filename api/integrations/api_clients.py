"""Administration of machine clients (OAuth 2.0 client credentials): register, rotate, revoke.

A designated administrator registers clients for the programs of their regions, the state team
for any program. The secret is shown once, in the answer that makes it; only its hash is kept.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from datetime import datetime

from api.deps import Actor, AdminActor, DbSession, Now, Scope
from api.errors import NotFound
from api.forms import FormFailure, form_errors, form_status, posted_form, render
from api.admin.agencies import _program  # the program, if the administrator manages it
from domain.accounts import AdminScope
from domain.api_clients import READ, SCOPES
from models import audit
from models.agencies import admin as orgs
from api.schema_types import Id, Name
from models.accounts.api_clients import ApiClient, clients_in, register_client, revoke_client, rotate_secret

router = APIRouter(tags=["administration"])


class ApiClientIn(BaseModel):
    name: str = Field("", max_length=200)
    program_id: Id
    scopes: list[str] = Field(default_factory=lambda: [READ], max_length=len(SCOPES))


class RotateIn(BaseModel):
    revoke_previous_now: bool = False
    """True: the previous secret stops working at once (a leak); false: it works 24 hours more."""


class ApiClientSecretOut(BaseModel):
    hint: str
    """The secret's last characters, to tell secrets apart (the secret itself is never shown again)."""
    created_at: datetime
    retired_at: datetime | None
    """When a rotated-out secret stops working (None: the current secret)."""


class ApiClientOut(BaseModel):
    id: int
    client_id: str
    name: Name
    program_id: int
    program: str
    scopes: list[str]
    created_at: datetime
    last_token_at: datetime | None
    revoked_at: datetime | None
    secrets: list[ApiClientSecretOut]


class ApiClientWithSecretOut(ApiClientOut):
    client_secret: str
    """Shown in this answer only; CONNECT keeps its hash."""


def client_out(c: ApiClient, now) -> dict:
    return {"id": c.id, "client_id": c.client_id, "name": c.name, "program_id": c.program_id,
            "program": c.program.display_name, "scopes": c.scopes, "created_at": c.created_at,
            "last_token_at": c.last_token_at, "revoked_at": c.revoked_at,
            "secrets": [{"hint": s.hint, "created_at": s.created_at, "retired_at": s.retired_at}
                        for s in c.live_secrets(now)]}


def api_client_in_scope(db, scope: AdminScope, client_pk: int) -> ApiClient:
    client = db.get(ApiClient, client_pk)
    if client is None:
        raise NotFound("That API client")
    scope.require_region(client.program.region)
    return client


def audit_api_client(db, actor: Actor, client: ApiClient, action: str, **detail) -> None:
    audit.record(db, action=f"api_client.{action}", entity_type="api_client", entity_id=client.id,
                 user_id=actor.user.id, program_id=client.program_id, client_id=client.client_id, **detail)


def _register(db, actor: Actor, scope: AdminScope, moment, data: ApiClientIn) -> tuple[ApiClient, str]:
    program = _program(db, scope, data.program_id)
    client, secret = register_client(db, program=program, name=data.name, scopes=data.scopes,
                                     by=actor.user.id, now=moment)
    db.flush()
    audit_api_client(db, actor, client, "registered", scopes=client.scopes)
    db.commit()
    return client, secret


def _rotate(db, actor: Actor, scope: AdminScope, moment, client_pk: int, data: RotateIn) -> tuple[ApiClient, str]:
    client = api_client_in_scope(db, scope, client_pk)
    if client.revoked_at is not None:
        raise NotFound("That API client was revoked; register a new one, and it")
    secret = rotate_secret(client, moment, at_once=data.revoke_previous_now)
    audit_api_client(db, actor, client, "secret_rotated", previous_revoked_now=data.revoke_previous_now)
    db.commit()
    return client, secret


def _revoke(db, actor: Actor, scope: AdminScope, moment, client_pk: int) -> ApiClient:
    client = api_client_in_scope(db, scope, client_pk)
    if client.revoked_at is None:
        revoke_client(db, client, moment)
        audit_api_client(db, actor, client, "revoked")
    db.commit()
    return client


# ---------------------------------------------------------------- pages


def _page(request: Request, db, scope: AdminScope, moment, extra: dict | None = None, status: int = 200):
    programs = list(db.scalars(orgs.programs_query(scope)))
    return render(request, "admin/api_clients.html", {
        "clients": clients_in(db, scope), "programs": programs, "scopes": SCOPES, "now": moment,
        **(extra or {})}, status)


@router.get("/admin/api-clients", include_in_schema=False)
async def clients_page(request: Request, scope: Scope, db: DbSession, moment: Now):
    return _page(request, db, scope, moment)


@router.post("/admin/api-clients", include_in_schema=False)
async def register_page(request: Request, actor: AdminActor, scope: Scope, db: DbSession, moment: Now):
    form = await posted_form(request)
    values = {"name": form.text("name"), "program_id": form.text("program_id"), "scopes": form.texts("scopes")}
    try:
        data = ApiClientIn(name=values["name"], program_id=values["program_id"] or None, scopes=values["scopes"])
        client, secret = _register(db, actor, scope, moment, data)
    except FormFailure as err:
        db.rollback()
        return _page(request, db, scope, moment, {"errors": form_errors(err), "values": values}, form_status(err))
    return _page(request, db, scope, moment, {"secret": secret, "shown": client}, 201)


@router.post("/admin/api-clients/{client_pk}/rotate", include_in_schema=False)
async def rotate_page(request: Request, client_pk: int, actor: AdminActor, scope: Scope, db: DbSession,
                      moment: Now, revoke_previous_now: Annotated[str, Form()] = ""):
    client, secret = _rotate(db, actor, scope, moment, client_pk, RotateIn(revoke_previous_now=bool(revoke_previous_now)))
    return _page(request, db, scope, moment, {"secret": secret, "shown": client})


@router.post("/admin/api-clients/{client_pk}/revoke", include_in_schema=False)
async def revoke_page(client_pk: int, actor: AdminActor, scope: Scope, db: DbSession, moment: Now):
    _revoke(db, actor, scope, moment, client_pk)
    return RedirectResponse("/admin/api-clients", status_code=303)


# ---------------------------------------------------------------- JSON API


@router.get("/api/v1/admin/api-clients")
async def list_clients(scope: Scope, db: DbSession, moment: Now) -> list[ApiClientOut]:
    """The machine clients of the programs you manage, revoked ones last (secrets never shown)."""
    return [client_out(c, moment) for c in clients_in(db, scope)]


@router.post("/api/v1/admin/api-clients", status_code=201)
async def create_client(actor: AdminActor, scope: Scope, db: DbSession, moment: Now,
                        data: ApiClientIn) -> ApiClientWithSecretOut:
    """Registers a client for one program; `client_secret` in the answer is shown this once."""
    client, secret = _register(db, actor, scope, moment, data)
    return {**client_out(client, moment), "client_secret": secret}


@router.post("/api/v1/admin/api-clients/{client_pk}/rotate")
async def rotate_client(client_pk: Id, actor: AdminActor, scope: Scope, db: DbSession, moment: Now,
                        data: RotateIn) -> ApiClientWithSecretOut:
    """A new secret (shown once); the previous one works 24 hours more unless revoked now."""
    client, secret = _rotate(db, actor, scope, moment, client_pk, data)
    return {**client_out(client, moment), "client_secret": secret}


@router.delete("/api/v1/admin/api-clients/{client_pk}")
async def delete_client(client_pk: Id, actor: AdminActor, scope: Scope, db: DbSession, moment: Now) -> ApiClientOut:
    """Revokes a client at once: its secrets and access tokens stop working."""
    return client_out(_revoke(db, actor, scope, moment, client_pk), moment)
