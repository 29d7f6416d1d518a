"""Emails the API sends itself (account invitations, password links).

One way of sending, as for every other message: the row is queued in the outbox with
`models.messages.notices.queue_email` in the same transaction as the change it reports, committed, and
then delivered by the `deliver_message` activity, started through the small `DeliverOutbox`
workflow. Temporal retries delivery while the mail server is down; if Temporal itself cannot be
reached the row is marked "held" and the outbox sweep delivers it once Temporal is back.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import BackgroundTasks, Request
from sqlalchemy.orm import Session

from models.messages.notices import queue_email
from connect.workflow_client import deliver_outbox
from models.db import transaction
from models.messages.tables import hold_messages

log = logging.getLogger(__name__)


def queue(request: Request, db: Session, *, to: str, template: str, context: dict, key: str,
          secret: bool = False, user_id: int | None = None) -> int | None:
    """Queues an email in ``db``'s transaction; ``secret`` when it carries a link or password;
    ``user_id`` when it is about an account that no longer uses ``to``."""
    settings = request.app.state.settings
    return queue_email(db, to=to, from_address=settings.email_from, template=template,
                       context={"public_url": settings.public_url, **context}, key=key,
                       redact_after_send=secret, user_id=user_id)


async def deliver(request: Request, outbox_ids: list[int | None]) -> None:
    """Starts delivery of committed outbox rows; never fails the request that queued them."""
    ids = [i for i in outbox_ids if i]
    if not ids:
        return
    try:
        client = await request.app.state.temporal.get()
        await deliver_outbox(client, request.app.state.settings, ids)
    except Exception as exc:  # held for the outbox sweep; ids only in the log
        log.warning("delivery of outbox %s not started, held for the sweep: %s", ids, type(exc).__name__)
        with transaction(request.app.state.session_factory) as db:
            hold_messages(db, ids)


def deliver_after_response(tasks: BackgroundTasks, request: Request, outbox_ids: list[int | None]) -> None:
    """The same, after the answer is sent: "Forgot Password" answers alike whether or not an
    email goes out, so the email's delivery must not slow the answer."""
    tasks.add_task(deliver, request, outbox_ids)


def describe(ttl: timedelta) -> str:
    hours = int(ttl.total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    return "1 hour" if hours == 1 else f"{hours} hours"
