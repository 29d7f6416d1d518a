"""Personal API tokens: made and revoked by their owner, the secret shown once, stored hashed.

A token acts for its owner within the owner's programs: limited to one when it is made, or any of
them chosen per request with the `X-Connect-Program` header. Tokens are made from a signed-in
browser session only, so a leaked token cannot mint more, and each works for the days chosen when
it is made (90 by default, a year at most).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from api.deps import Actor, CurrentActor, DbSession, Now
from api.errors import Forbidden, NotFound
from api.forms import FormFailure, form_errors, form_status, render
from api.schema_types import Id
from domain.accounts import API_TOKEN_DAYS_DEFAULT, API_TOKEN_DAYS_MAX
from models import audit
from models.accounts.tables import ApiToken
from models.accounts.sessions import issue_api_token, revoke_token, user_tokens

router = APIRouter(tags=["tokens"])


class TokenIn(BaseModel):
    name: str = Field("", max_length=200)
    program_id: Id | None = None
    expires_in_days: int | None = Field(None, description=(
        f"How many days the token works: 1 to {API_TOKEN_DAYS_MAX}; {API_TOKEN_DAYS_DEFAULT} if omitted."))


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the secret, to tell tokens apart.")
    program_id: int | None = Field(description="The one program it may act as; null: any of yours.")
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The secret: shown this once, send it as `Authorization: Bearer ...`.")


def _token_out(t: ApiToken) -> dict:
    return {"id": t.id, "name": t.name, "prefix": t.prefix, "program_id": t.program_id,
            "created_at": t.created_at, "expires_at": t.expires_at, "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at}


def _create(db, actor: Actor, moment, data: TokenIn) -> tuple[ApiToken, str]:
    if actor.session is None:
        raise Forbidden("Make API tokens while signed in to CONNECT in your browser.",
                        code="session_required")
    row, secret = issue_api_token(db, actor.user, data.name, data.program_id, moment,
                                  data.expires_in_days)
    db.flush()
    audit.record(db, action="api_token.created", entity_type="api_token", entity_id=row.id,
                 user_id=actor.user.id, program_id=data.program_id,
                 expires_at=row.expires_at.isoformat())
    db.commit()
    return row, secret


def _revoke(db, actor: Actor, moment, token_id: int) -> ApiToken:
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != actor.user.id:
        raise NotFound("That API token")
    if row.revoked_at is None:
        revoke_token(row, moment)
        audit.record(db, action="api_token.revoked", entity_type="api_token", entity_id=row.id,
                     user_id=actor.user.id)
    db.commit()
    return row


def _page(request: Request, db, actor: Actor, moment, extra: dict | None = None, status: int = 200):
    programs = sorted((m.program for m in actor.user.memberships), key=lambda p: p.display_name)
    names = {p.id: p.display_name for p in programs}
    return render(request, "integrations/tokens.html", {"tokens": user_tokens(db, actor.user.id),
                                           "programs": programs, "program_names": names,
                                           "default_days": API_TOKEN_DAYS_DEFAULT,
                                           "max_days": API_TOKEN_DAYS_MAX, "now": moment,
                                           **(extra or {})}, status)


@router.get("/account/tokens", include_in_schema=False)
async def tokens_page(request: Request, actor: CurrentActor, db: DbSession, moment: Now):
    return _page(request, db, actor, moment)


@router.post("/account/tokens", include_in_schema=False)
async def create_page(request: Request, actor: CurrentActor, db: DbSession, moment: Now,
                      name: Annotated[str, Form()] = "", program_id: Annotated[str, Form()] = "",
                      expires_in_days: Annotated[str, Form()] = ""):
    values = {"name": name, "program_id": program_id, "expires_in_days": expires_in_days}
    try:
        data = TokenIn(name=name, program_id=program_id or None,
                       expires_in_days=expires_in_days.strip() or None)
        row, secret = _create(db, actor, moment, data)
    except FormFailure as err:
        db.rollback()
        return _page(request, db, actor, moment, {"errors": form_errors(err), "values": values},
                     form_status(err))
    return _page(request, db, actor, moment, {"secret": secret, "created": row}, 201)


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
async def revoke_page(token_id: Id, actor: CurrentActor, db: DbSession, moment: Now):
    _revoke(db, actor, moment, token_id)
    return RedirectResponse("/account/tokens", status_code=303)


@router.get("/api/v1/tokens")
async def list_tokens(actor: CurrentActor, db: DbSession) -> list[TokenOut]:
    """Your API tokens, revoked ones last (secrets are never shown again)."""
    return [_token_out(t) for t in user_tokens(db, actor.user.id)]


@router.post("/api/v1/tokens", status_code=201)
async def create_token(actor: CurrentActor, db: DbSession, moment: Now, data: TokenIn) -> NewTokenOut:
    """Makes a token; `token` in the answer is the only time the secret is shown."""
    row, secret = _create(db, actor, moment, data)
    return {**_token_out(row), "token": secret}


@router.delete("/api/v1/tokens/{token_id}")
async def delete_token(token_id: Id, actor: CurrentActor, db: DbSession, moment: Now) -> TokenOut:
    """Revokes one of your tokens at once."""
    return _token_out(_revoke(db, actor, moment, token_id))
