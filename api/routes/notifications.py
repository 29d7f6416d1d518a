"""The bell: unread count in the header, the list, mark as read (pages and /api/v1/notifications).
Bell entries link to what they are about; opening one marks it read."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from api.deps import CurrentActor, DbSession, Now
from api.errors import NotFound
from api.forms import render
from models import bell

api = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
pages = APIRouter(include_in_schema=False)


class NotificationOut(BaseModel):
    id: int
    kind: str
    text: str
    link: str
    created_at: datetime
    read_at: datetime | None


class NotificationList(BaseModel):
    items: list[NotificationOut]
    unread: int
    total: int
    page: int
    pages: int


def _out(found: bell.NotificationPage) -> NotificationList:
    return NotificationList(items=[NotificationOut.model_validate(n, from_attributes=True) for n in found.items],
                            unread=found.unread, total=found.total, page=found.page, pages=found.pages)


@api.get("", response_model=NotificationList)
async def list_notifications(db: DbSession, actor: CurrentActor, unread: bool = False, page: int = 1):
    return _out(bell.notifications_of(db, actor.user.id, unread_only=unread, page=page))


@api.post("/{notification_id}/read", response_model=NotificationOut)
async def read_one(notification_id: int, db: DbSession, actor: CurrentActor, moment: Now):
    row = bell.mark_read(db, actor.user.id, notification_id, moment)
    if row is None:
        raise NotFound("That notification")
    db.commit()
    return NotificationOut.model_validate(row, from_attributes=True)


@api.post("/read-all", status_code=204)
async def read_all(db: DbSession, actor: CurrentActor, moment: Now):
    bell.mark_all_read(db, actor.user.id, moment)
    db.commit()


@pages.get("/notifications/count", response_class=HTMLResponse)
async def count(db: DbSession, actor: CurrentActor):
    n = bell.unread_count(db, actor.user.id)
    return HTMLResponse(
        f'<span id="bell-count" class="connect-bell__count" hx-get="/notifications/count" '
        f'hx-trigger="every 60s" hx-swap="outerHTML" aria-label="{n} unread">{n or ""}</span>')


@pages.get("/notifications")
async def notifications_page(request: Request, db: DbSession, actor: CurrentActor, page: int = 1):
    return render(request, "notifications/list.html", {"page": bell.notifications_of(db, actor.user.id, page=page)})


@pages.get("/notifications/{notification_id:int}/open")
async def open_one(notification_id: int, db: DbSession, actor: CurrentActor, moment: Now):
    row = bell.mark_read(db, actor.user.id, notification_id, moment)
    if row is None:
        raise NotFound("That notification")
    db.commit()
    target = row.link if row.link.startswith("/") and not row.link.startswith("//") else "/notifications"
    return RedirectResponse(target, status_code=303)


@pages.post("/notifications/read-all")
async def read_all_page(db: DbSession, actor: CurrentActor, moment: Now):
    bell.mark_all_read(db, actor.user.id, moment)
    db.commit()
    return RedirectResponse("/notifications", status_code=303)
