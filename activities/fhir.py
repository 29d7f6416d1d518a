"""The delivery steps of FHIR subscriptions: the handshake, the notifications of changes, the
heartbeat. Each post is one attempt; a refusal or a network failure raises and Temporal retries."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from urllib.parse import parse_qsl

import httpx
from sqlalchemy import and_, or_
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from connect.settings import Settings
from connect.webhook_addresses import internal_addresses
from models.accounts.tables import Membership
from models.base import utcnow
from models.fhir.subscriptions import FhirSubscription
from workflows.fhir_subscription_contracts import FhirSubscriptionActivitiesContract, StepResult, SubscriptionStep

MAX_EVENTS = 100
"""Events told in one notification; more wait for the next round."""


class FhirSubscriptionActivities(FhirSubscriptionActivitiesContract):
    def __init__(self, session_factory: sessionmaker[Session], settings: Settings,
                 http: httpx.AsyncClient | None = None):
        self._db = session_factory
        self._settings = settings
        self._base = settings.public_url.rstrip("/") + "/fhir"
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0), follow_redirects=False)

    # --- the steps ---------------------------------------------------------------------------

    @activity.defn
    async def fhir_subscription_handshake(self, step: SubscriptionStep) -> StepResult:
        sub = await asyncio.to_thread(self._load, step.subscription_id)
        if sub is None or sub.status == "off":
            return StepResult("off")
        body = self._bundle(sub, "handshake", sub.events_since_start)
        try:
            await self._post(sub, body)
        except ApplicationError as exc:
            await asyncio.to_thread(self._set_status, sub.id, "error", str(exc.message))
            return StepResult("error")
        await asyncio.to_thread(self._set_status, sub.id, "active", "")
        return StepResult("active", heartbeat_seconds=sub.heartbeat_seconds)

    @activity.defn
    async def fhir_subscription_heartbeat(self, step: SubscriptionStep) -> StepResult:
        sub = await asyncio.to_thread(self._load, step.subscription_id)
        if sub is None or sub.status != "active":
            return StepResult("off")
        await self._post(sub, self._bundle(sub, "heartbeat", sub.events_since_start))
        return StepResult("active", heartbeat_seconds=sub.heartbeat_seconds)

    @activity.defn
    async def fhir_subscription_notify(self, step: SubscriptionStep) -> StepResult:
        """Tells the changes since the last notification, if any; they count as told only once
        the endpoint accepted them (a retry tells the same events under the same numbers)."""
        found = await asyncio.to_thread(self._changes, step.subscription_id)
        if found is None:
            return StepResult("off")
        sub, changes = found
        if not changes:
            return StepResult("active", heartbeat_seconds=sub.heartbeat_seconds)
        first = sub.events_since_start + 1
        events = [(first + i, f"{sub.topic}/{rid}", at) for i, (rid, at) in enumerate(changes)]
        await self._post(sub, self._bundle(sub, "event-notification", first + len(events) - 1, events))
        await asyncio.to_thread(self._mark_told, sub.id, changes, first + len(events) - 1)
        return StepResult("active", sent=len(events), heartbeat_seconds=sub.heartbeat_seconds)

    # --- plumbing -------------------------------------------------------------------------------

    def _bundle(self, sub: FhirSubscription, kind: str, count: int, events=()) -> bytes:
        import json

        from api.fhir.notifications import notification

        return json.dumps(notification(self._base, sub.id, sub.topic, kind, count, list(events))).encode()

    async def _post(self, sub: FhirSubscription, body: bytes) -> None:
        # Checked on every attempt, as for webhooks: a name may point elsewhere than at creation.
        if not self._settings.webhook_allow_internal_addresses and await internal_addresses(sub.endpoint):
            raise ApplicationError("The endpoint is on an internal network.", type="SubscriptionEndpointRefused")
        headers = {"content-type": "application/fhir+json"}
        for line in sub.headers or []:
            name, _, value = line.partition(":")
            headers[name.strip()] = value.strip()
        try:
            answer = await self._http.post(sub.endpoint, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ApplicationError(f"The endpoint could not be reached: {exc.__class__.__name__}.",
                                   type="SubscriptionEndpointUnreachable") from None
        if not 200 <= answer.status_code < 300:
            raise ApplicationError(f"The endpoint answered {answer.status_code}.", type="SubscriptionEndpointRefused")

    def _load(self, subscription_id: int) -> FhirSubscription | None:
        with self._db() as db:
            sub = db.get(FhirSubscription, subscription_id)
            if sub is not None:
                db.expunge(sub)
            return sub

    def _set_status(self, subscription_id: int, status: str, error: str) -> None:
        with self._db() as db:
            sub = db.get(FhirSubscription, subscription_id)
            if sub is not None and sub.status != "off":
                sub.status, sub.error = status, error[:500]
                db.commit()

    def _changes(self, subscription_id: int) -> tuple[FhirSubscription, list[tuple[int, datetime]]] | None:
        """The resources of the topic that changed since the last notification and the
        subscriber's program may see, through the FHIR API's own rules and filter criteria."""
        from api.deps import Actor
        from api.fhir import mapping
        from api.fhir.resources import RESOURCES, Reader
        from api.fhir.search import parse_search
        from domain.montana import local_date

        with self._db() as db:
            sub = db.get(FhirSubscription, subscription_id)
            if sub is None or sub.status != "active" or sub.client.revoked_at is not None:
                return None
            client = sub.client
            actor = Actor(client.user, client.program, Membership(user_id=client.user_id, program_id=client.program_id,
                                                                  is_gatekeeper=True, is_provider=False), client=client)
            reader = Reader(db, actor, local_date(utcnow()), mapping.Systems(self._base))
            spec = RESOURCES[sub.topic]
            search = parse_search(parse_qsl(sub.filter), spec.all_params(reader.systems), sub.topic)
            updated = spec.updated()
            query = spec.base_query(reader).where(*search.conditions)
            if sub.told_until is not None:
                told = [int(i) for i in sub.told_ids or []]
                query = query.where(or_(updated > sub.told_until,
                                        and_(updated == sub.told_until, spec.row.id.notin_(told or [0]))))
            rows = db.execute(query.with_only_columns(spec.row.id, updated).order_by(updated, spec.row.id)
                              .limit(MAX_EVENTS)).all()
            db.expunge(sub)
            return sub, [(r[0], r[1] if r[1].tzinfo else r[1].replace(tzinfo=timezone.utc)) for r in rows]

    def _mark_told(self, subscription_id: int, changes: list[tuple[int, datetime]], count: int) -> None:
        with self._db() as db:
            sub = db.get(FhirSubscription, subscription_id)
            if sub is None:
                return
            last = changes[-1][1]
            same = [str(rid) for rid, at in changes if at == last]
            if sub.told_until is not None and sub.told_until.replace(tzinfo=timezone.utc) == last:
                same = list(dict.fromkeys([*(sub.told_ids or []), *same]))
            sub.told_until, sub.told_ids, sub.events_since_start = last, same, count
            db.commit()
