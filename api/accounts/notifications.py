"""The bell: the unread count in every page's header, the list of notifications with links to
what they are about, and marking them read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from fastapi.responses import RedirectResponse

from api.deps import CurrentActor, DbSession, Now
from api.errors import NotFound
from api.forms import render
from api.schema_types import Id, PageNumber, PerPage, UpdatedSince, as_utc
from models.messages.tables import Notification
from models.messages.bell import mark_all_read, mark_read, notifications_query, own_notification, unread_count
from models.paging import PER_PAGE, paginate

router = APIRouter(tags=["notifications"])


class NotificationOut(BaseModel):
    id: int
    kind: str
    text: str
    link: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    page: int
    per_page: int
    pages: int
    total: int
    unread: int


class UnreadOut(BaseModel):
    unread: int


class MarkedOut(BaseModel):
    marked: int


def _out(n: Notification) -> dict:
    return {"id": n.id, "kind": n.kind, "text": n.text, "link": n.link, "created_at": n.created_at,
            "read_at": n.read_at}


def _safe_link(link: str) -> str:
    return link if link.startswith("/") and not link.startswith("//") else "/notifications"


def _own(db, actor, notification_id: int) -> Notification:
    row = own_notification(db, actor.user.id, notification_id)
    if row is None:
        raise NotFound("That notification")
    return row


@router.get("/notifications/count", include_in_schema=False)
async def count_partial(request: Request, actor: CurrentActor, db: DbSession):
    return render(request, "_bell_count.html", {"count": unread_count(db, actor.user.id)})


@router.get("/notifications", include_in_schema=False)
async def notifications_page(request: Request, actor: CurrentActor, db: DbSession,
                             unread: bool = False, page: int = 1):
    listing = paginate(db, notifications_query(actor.user.id, unread_only=unread), page)
    return render(request, "accounts/notifications.html", {"page": listing, "unread": unread,
                                                  "unread_count": unread_count(db, actor.user.id)})


@router.get("/notifications/{notification_id}/open", include_in_schema=False)
async def open_notification(notification_id: Id, actor: CurrentActor, db: DbSession, moment: Now):
    """Follows a notification's link, marking it read on the way."""
    row = _own(db, actor, notification_id)
    mark_read(row, moment)
    db.commit()
    return RedirectResponse(_safe_link(row.link), status_code=303)


@router.post("/notifications/{notification_id}/read", include_in_schema=False)
async def read_page(notification_id: Id, actor: CurrentActor, db: DbSession, moment: Now):
    mark_read(_own(db, actor, notification_id), moment)
    db.commit()
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/read-all", include_in_schema=False)
async def read_all_page(actor: CurrentActor, db: DbSession, moment: Now):
    mark_all_read(db, actor.user.id, moment)
    db.commit()
    return RedirectResponse("/notifications", status_code=303)


@router.get("/api/v1/notifications")
async def list_notifications(actor: CurrentActor, db: DbSession,
                             unread: Annotated[bool, Query(description="Only the unread ones")] = False,
                             page: PageNumber = 1, per_page: PerPage = PER_PAGE,
                             updated_since: UpdatedSince = None) -> NotificationPage:
    """Your notifications, newest first (`unread=true` for unread ones only; `updated_since`
    for those created or read since then)."""
    query = notifications_query(actor.user.id, unread_only=unread, since=as_utc(updated_since))
    listing = paginate(db, query, page, per_page)
    return NotificationPage(items=[NotificationOut(**_out(n)) for n in listing.items], page=listing.number,
                            per_page=listing.per_page, pages=listing.pages, total=listing.total,
                            unread=unread_count(db, actor.user.id))


@router.get("/api/v1/notifications/count")
async def count(actor: CurrentActor, db: DbSession) -> UnreadOut:
    return UnreadOut(unread=unread_count(db, actor.user.id))


@router.post("/api/v1/notifications/{notification_id}/read")
async def read(notification_id: Id, actor: CurrentActor, db: DbSession, moment: Now) -> NotificationOut:
    row = _own(db, actor, notification_id)
    mark_read(row, moment)
    db.commit()
    return NotificationOut(**_out(row))


@router.post("/api/v1/notifications/read-all")
async def read_all(actor: CurrentActor, db: DbSession, moment: Now) -> MarkedOut:
    marked = mark_all_read(db, actor.user.id, moment)
    db.commit()
    return MarkedOut(marked=marked)
