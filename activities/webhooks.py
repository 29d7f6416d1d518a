"""Posting webhook messages, signed per Standard Webhooks, and recording what became of them."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from connect.webhook_addresses import internal_addresses
from connect.webhook_dispatch import WebhookDispatcher
from domain.webhooks import internal_address_refusal, signed_headers
from models import audit
from models.base import utcnow
from models.db import transaction
from models.webhooks import DEAD, DELIVERED, QUEUED, WebhookDelivery
from workflows.webhook_contracts import DeadLetterWebhook, DispatchWebhooks, PostWebhook, WebhookActivitiesContract

log = logging.getLogger(__name__)


class WebhookActivities(WebhookActivitiesContract):
    def __init__(self, session_factory: sessionmaker[Session], dispatcher: WebhookDispatcher,
                 http: httpx.AsyncClient | None = None, *, allow_internal_addresses: bool = False):
        self._db = session_factory
        self._dispatcher = dispatcher
        self._allow_internal = allow_internal_addresses
        # No redirects: a signed message goes to the registered address only.
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0), follow_redirects=False)

    @activity.defn
    async def post_webhook(self, request: PostWebhook) -> str:
        """One attempt; a refusal or a network failure raises, and Temporal retries with backoff."""

        def load():
            with self._db() as db:
                d = db.get(WebhookDelivery, request.delivery_id)
                if d is None:
                    return None
                return d.status, d.round, d.endpoint.url, d.endpoint.secret, d.endpoint.disabled_at, \
                    d.message.msg_id, d.message.body

        found = await asyncio.to_thread(load)
        if found is None:
            return "missing"
        status, round, url, secret, disabled_at, msg_id, body = found
        if status == DELIVERED or round != request.round:
            return status  # delivered already, or a newer round took over
        if disabled_at is not None:
            raise ApplicationError("The endpoint was removed.", type="WebhookEndpointRemoved", non_retryable=True)
        headers = signed_headers(secret, msg_id, int(utcnow().timestamp()), body)
        # Checked again on every attempt: the name may point somewhere else than at registration.
        internal = [] if self._allow_internal else await internal_addresses(url)
        if internal:
            code, error = None, internal_address_refusal(urlsplit(url).hostname or "", internal).reason[:300]
        else:
            try:
                answer = await self._http.post(url, content=body.encode(), headers=headers)
                code, error = answer.status_code, "" if answer.is_success else f"HTTP {answer.status_code}"
            except httpx.HTTPError as err:
                code, error = None, f"{type(err).__name__}: {err}"[:300]
        await asyncio.to_thread(self._record_attempt, request, code, error)
        if error:
            raise ApplicationError(f"The endpoint did not accept the message ({error}).", type="WebhookRefused")
        return DELIVERED

    def _record_attempt(self, request: PostWebhook, code: int | None, error: str) -> None:
        with transaction(self._db) as db:
            d = db.get(WebhookDelivery, request.delivery_id, with_for_update=True)
            if d.round != request.round:
                return
            d.attempts += 1
            d.last_status_code, d.last_error = code, error
            if not error:
                d.status, d.delivered_at = DELIVERED, utcnow()

    @activity.defn
    async def dead_letter_webhook(self, request: DeadLetterWebhook) -> None:
        """The retries are spent: the delivery waits in the dead-letter view for a redelivery."""

        def mark() -> None:
            with transaction(self._db) as db:
                d = db.get(WebhookDelivery, request.delivery_id, with_for_update=True)
                if d is None or d.round != request.round or d.status != QUEUED:
                    return
                d.status, d.dead_at = DEAD, utcnow()
                d.last_error = (d.last_error or request.error)[:300]
                audit.record(db, action="webhook.dead_lettered", entity_type="webhook_delivery", entity_id=d.id,
                             program_id=d.endpoint.program_id, idempotency_key=f"webhook-dead:{d.id}:{d.round}",
                             endpoint_id=d.endpoint_id, msg_id=d.message.msg_id, attempts=d.attempts)

        await asyncio.to_thread(mark)

    @activity.defn
    async def dispatch_webhooks(self, request: DispatchWebhooks) -> int:
        return await self._dispatcher.dispatch(request.limit)

    async def after_commit(self) -> None:
        """Starts the deliveries a change just queued. A failure here loses nothing: the rows stay
        queued and the sweep starts them."""
        try:
            await self._dispatcher.dispatch()
        except Exception:  # noqa: BLE001 - never fail the change that was already committed
            log.exception("webhook dispatch failed; the sweep will retry")
