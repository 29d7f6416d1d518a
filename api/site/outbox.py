"""The dev outbox (development only): the emails and texts CONNECT sent or received, and a reply
form that acts as the client's phone. A reply goes through the same handling as a text that
Twilio's webhook brings, without Twilio.

The router is mounted only when ENVIRONMENT is `development` (`api.routers.routers_for`), so in
test and production these paths do not exist. Even in development the rows hold what gives
accounts and consent away (password links, security codes), so each person reads only what
`models.messages.tables.outbox_query` allows: administrators their regions, staff their program's texts
and their own emails without links. Reading it needs a signed user MOU, as clients do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from api.deps import Actor, DbSession, Now, UserMouActor
from api.errors import ApiError, NotFound
from api.forms import render
from api.schema_types import Id, PageNumber
from api.releases.sms_inbound import handle_inbound_sms
from models.accounts.credentials import new_token
from models.messages.tables import OutboxMessage, outbox_query
from models.paging import paginate
from models.accounts.admin import scope_of

router = APIRouter(include_in_schema=False)


def _visible(actor: Actor):
    scope = scope_of(actor.user) if actor.user.is_admin else None
    return outbox_query(scope, actor.user.id, actor.program_id)


@router.get("/outbox")
async def outbox(request: Request, actor: UserMouActor, db: DbSession, channel: str = "",
                 page: PageNumber = 1):
    query = _visible(actor)
    if channel in ("email", "sms"):
        query = query.where(OutboxMessage.channel == channel)
    return render(request, "site/outbox.html", {"messages": paginate(db, query, page, 25), "channel": channel})


@router.post("/outbox/{message_id}/reply")
async def reply(message_id: Id, request: Request, actor: UserMouActor, db: DbSession, moment: Now,
                body: Annotated[str, Form()] = ""):
    """Replies to a text as its recipient (the client's phone): only to a text the person may read."""
    message = db.scalar(_visible(actor).where(OutboxMessage.id == message_id))
    if message is None or message.channel != "sms" or message.direction != "out":
        raise NotFound("That text")
    if not body.strip():
        raise ApiError(422, "Type the reply the client would text.", code="reply_empty", field="body")
    await handle_inbound_sms(db, await request.app.state.temporal.get_or_none(), message_sid=f"DEV{new_token(16)}",
                             from_number=message.to_address, to_number=message.from_address, body=body,
                             now=moment)
    return RedirectResponse("/outbox?channel=sms", status_code=303)
