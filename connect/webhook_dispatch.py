"""Starting webhook deliveries: the one place that spells their workflow start.

Both the worker (right after an activity commits a change that queued deliveries, and in the
sweep) and the API (a redelivery) start deliveries here. Each start uses the id
`webhook-delivery-<delivery>-<round>` and refuses a duplicate id, so two dispatchers racing for the
same row start one workflow; a row whose start failed keeps `started_at` empty and the sweep
(a Temporal schedule) starts it later.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from models.base import utcnow
from models.db import transaction
from models.webhooks import WebhookDelivery, unstarted
from workflows import search_attributes as sa
from workflows.ids import webhook_delivery_workflow_id
from workflows.webhook_contracts import DeliverWebhook, WebhookPolicy

log = logging.getLogger(__name__)


class WebhookDispatcher:
    def __init__(self, client: Client | None, session_factory: sessionmaker[Session], task_queue: str,
                 policy: WebhookPolicy | None = None):
        self._client = client
        self._db = session_factory
        self._task_queue = task_queue
        self.policy = policy or WebhookPolicy()

    async def start(self, delivery_id: int, round: int) -> bool:
        """Starts one delivery's workflow (True also when it had been started already)."""
        if self._client is None:
            return False
        try:
            await self._client.start_workflow(
                "WebhookDelivery", DeliverWebhook(delivery_id, round, self.policy),
                id=webhook_delivery_workflow_id(delivery_id, round), task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=TypedSearchAttributes([SearchAttributePair(sa.CONNECT_KIND, "webhook")]))
        except WorkflowAlreadyStartedError:
            pass
        except RPCError as err:  # Temporal unreachable: the sweep starts it later
            log.warning("webhook delivery %s not started: %s", delivery_id, err)
            return False
        with transaction(self._db) as db:
            db.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                                     WebhookDelivery.round == round,
                                                     WebhookDelivery.started_at.is_(None))
                       .values(started_at=utcnow()))
        return True

    async def dispatch(self, limit: int = 200) -> int:
        """Starts every queued delivery not started yet; returns how many it started."""
        with self._db() as db:
            pending = [(d.id, d.round) for d in unstarted(db, limit)]
        started = 0
        for delivery_id, round in pending:
            started += await self.start(delivery_id, round)
        return started
