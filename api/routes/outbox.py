"""The dev outbox (not in production): every email and text CONNECT sent or received, and a
reply form that acts as the client's phone. A reply goes through the same handling as a text
that Twilio's webhook brings, without Twilio."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from api.deps import CurrentActor, DbSession, Now, SettingsDep
from api.errors import ApiError, NotFound
from api.forms import render
from api.sms_inbound import handle_inbound_sms
from connect.security import new_token
from connect.settings import Environment, Settings
from models.messages import OutboxMessage
from models.paging import paginate

router = APIRouter(include_in_schema=False)


def _dev_only(settings: Settings) -> None:
    if settings.environment is Environment.PRODUCTION:
        raise NotFound("The outbox")


@router.get("/outbox")
async def outbox(request: Request, actor: CurrentActor, db: DbSession, settings: SettingsDep,
                 channel: str = "", page: int = 1):
    _dev_only(settings)
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if channel in ("email", "sms"):
        query = query.where(OutboxMessage.channel == channel)
    return render(request, "outbox.html", {"messages": paginate(db, query, page, 25), "channel": channel})


@router.post("/outbox/{message_id}/reply")
async def reply(message_id: int, request: Request, actor: CurrentActor, db: DbSession, settings: SettingsDep,
                moment: Now, body: Annotated[str, Form()] = ""):
    """Replies to a text as its recipient (the client's phone)."""
    _dev_only(settings)
    message = db.get(OutboxMessage, message_id)
    if message is None or message.channel != "sms" or message.direction != "out":
        raise NotFound("That text")
    if not body.strip():
        raise ApiError(422, "Type the reply the client would text.", code="reply_empty", field="body")
    await handle_inbound_sms(db, await request.app.state.temporal.get_or_none(), message_sid=f"DEV{new_token(16)}",
                             from_number=message.to_address, to_number=message.from_address, body=body,
                             now=moment)
    return RedirectResponse("/outbox?channel=sms", status_code=303)
