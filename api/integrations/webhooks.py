"""Webhook endpoints of a program, their deliveries, and the dead-letter view with redelivery.

Administrators (of the program's region, or the state team) and the program's gatekeepers
manage a program's endpoints (domain.webhooks.may_manage); machine clients do not.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from datetime import datetime
from typing import Annotated, Literal

from api.deps import Actor, CurrentActor, DbSession, Now, SettingsDep
from api.schema_types import Id
from api.errors import ApiError, Conflict, Forbidden, NotFound
from api.forms import FormFailure, form_errors, form_status, posted_form, render
from connect.settings import Environment, Settings
from connect.webhook_dispatch import WebhookDispatcher
from domain.errors import NotAllowed
from connect.webhook_addresses import check_public
from domain.webhooks import check_endpoint_url, may_manage
from models import audit
from models.agencies.tables import Program
from models.webhooks import (
    DEAD,
    QUEUED,
    WebhookDelivery,
    WebhookEndpoint,
    deliveries_of,
    endpoints_of,
    new_secret,
)

router = APIRouter(tags=["webhooks"])


class EndpointIn(BaseModel):
    program_id: Id
    url: str = Field("", max_length=500)
    description: str = Field("", max_length=200)


class EndpointOut(BaseModel):
    id: int
    program_id: int
    program: str
    url: str
    description: str
    created_at: datetime
    disabled_at: datetime | None


class EndpointWithSecretOut(EndpointOut):
    secret: str
    """The signing secret (whsec_…), shown in this answer only."""


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: int
    url: str
    program_id: int
    webhook_id: str
    """The event's id (the `webhook-id` header), the same on every attempt and redelivery."""
    type: str
    status: str
    """queued, delivered or dead (dead-lettered after the last retry)."""
    round: int
    attempts: int
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    dead_at: datetime | None


def endpoint_out(e: WebhookEndpoint) -> dict:
    return {"id": e.id, "program_id": e.program_id, "program": e.program.display_name, "url": e.url,
            "description": e.description, "created_at": e.created_at, "disabled_at": e.disabled_at}


def delivery_out(d: WebhookDelivery) -> dict:
    return {"id": d.id, "endpoint_id": d.endpoint_id, "url": d.endpoint.url, "program_id": d.endpoint.program_id,
            "webhook_id": d.message.msg_id, "type": d.message.type, "status": d.status, "round": d.round,
            "attempts": d.attempts, "last_status_code": d.last_status_code, "last_error": d.last_error,
            "created_at": d.created_at, "delivered_at": d.delivered_at, "dead_at": d.dead_at}


def _may_manage(actor: Actor, program: Program) -> bool:
    if actor.client is not None:
        return False
    user = actor.user
    return may_manage(state_team=user.is_state_team, admin_regions=user.region_numbers,
                      gatekeeper_of={m.program_id for m in user.memberships if m.is_gatekeeper},
                      program_id=program.id, program_region=program.region)


def _managed(db: Session, actor: Actor) -> list[int] | None:
    """The programs whose endpoints the actor manages (None: every program)."""
    user = actor.user
    if user.is_state_team:
        return None
    ids = {m.program_id for m in user.memberships if m.is_gatekeeper}
    if user.admin_regions:
        ids |= set(db.scalars(select(Program.id).where(Program.region.in_(user.region_numbers))))
    if not ids:
        raise Forbidden("Only administrators and gatekeepers manage webhooks.")
    return sorted(ids)


def _program(db: Session, actor: Actor, program_id: int) -> Program:
    program = db.get(Program, program_id)
    if program is None:
        raise NotFound("That program")
    if not _may_manage(actor, program):
        raise NotAllowed("You manage webhooks only of your own programs or regions.", code="not_your_program")
    return program


async def _register(db: Session, actor: Actor, settings: Settings, moment,
                    data: EndpointIn) -> tuple[WebhookEndpoint, str]:
    program = _program(db, actor, data.program_id)
    url = check_endpoint_url(data.url, allow_loopback_http=settings.environment is not Environment.PRODUCTION)
    await check_public(url, allow_internal=settings.webhook_allow_internal_addresses)
    secret = new_secret()
    endpoint = WebhookEndpoint(program=program, url=url, description=" ".join(data.description.split()),
                               secret=secret, created_by=actor.user.id, created_at=moment)
    db.add(endpoint)
    db.flush()
    audit.record(db, action="webhook.registered", entity_type="webhook_endpoint", entity_id=endpoint.id,
                 user_id=actor.user.id, program_id=program.id, url=url)
    db.commit()
    return endpoint, secret


def _endpoint(db: Session, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or not _may_manage(actor, endpoint.program):
        raise NotFound("That webhook endpoint")
    return endpoint


def _remove(db: Session, actor: Actor, moment, endpoint_id: int) -> WebhookEndpoint:
    endpoint = _endpoint(db, actor, endpoint_id)
    if endpoint.disabled_at is None:
        endpoint.disabled_at = moment
        audit.record(db, action="webhook.removed", entity_type="webhook_endpoint", entity_id=endpoint.id,
                     user_id=actor.user.id, program_id=endpoint.program_id)
    db.commit()
    return endpoint


async def _redeliver(request: Request, db: Session, actor: Actor, settings: Settings, delivery_id: int) -> WebhookDelivery:
    delivery = db.get(WebhookDelivery, delivery_id)
    if delivery is None or not _may_manage(actor, delivery.endpoint.program):
        raise NotFound("That webhook delivery")
    if delivery.status != DEAD:
        raise Conflict("Only a dead-lettered delivery can be redelivered; this one is "
                       f"{delivery.status}.", code="not_dead_lettered")
    if delivery.endpoint.disabled_at is not None:
        raise ApiError(409, "That endpoint was removed; register it again first.", code="endpoint_removed")
    delivery.status, delivery.round, delivery.started_at, delivery.dead_at = QUEUED, delivery.round + 1, None, None
    audit.record(db, action="webhook.redelivered", entity_type="webhook_delivery", entity_id=delivery.id,
                 user_id=actor.user.id, program_id=delivery.endpoint.program_id, round=delivery.round,
                 msg_id=delivery.message.msg_id)
    db.commit()
    dispatcher = WebhookDispatcher(await request.app.state.temporal.get(), request.app.state.session_factory,
                                   settings.temporal_task_queue)
    await dispatcher.start(delivery.id, delivery.round)  # not started: the sweep starts it
    db.refresh(delivery)
    return delivery


# ---------------------------------------------------------------- pages


def _page(request: Request, db: Session, actor: Actor, extra: dict | None = None, status: int = 200):
    managed = _managed(db, actor)
    programs = db.scalars(select(Program).where(Program.id.in_(managed)) if managed is not None else select(Program))
    return render(request, "integrations/webhooks.html", {
        "endpoints": endpoints_of(db, managed), "dead": deliveries_of(db, managed, DEAD),
        "recent": deliveries_of(db, managed, limit=20),
        "programs": sorted(programs, key=lambda p: p.display_name), **(extra or {})}, status)


@router.get("/webhooks", include_in_schema=False)
async def webhooks_page(request: Request, actor: CurrentActor, db: DbSession):
    return _page(request, db, actor)


@router.post("/webhooks", include_in_schema=False)
async def register_page(request: Request, actor: CurrentActor, db: DbSession, moment: Now, settings: SettingsDep):
    form = await posted_form(request)
    values = {k: form.text(k) for k in ("program_id", "url", "description")}
    try:
        data = EndpointIn(program_id=values["program_id"] or None, url=values["url"],
                          description=values["description"])
        endpoint, secret = await _register(db, actor, settings, moment, data)
    except FormFailure as err:
        db.rollback()
        return _page(request, db, actor, {"errors": form_errors(err), "values": values}, form_status(err))
    return _page(request, db, actor, {"secret": secret, "shown": endpoint}, 201)


@router.post("/webhooks/{endpoint_id}/remove", include_in_schema=False)
async def remove_page(endpoint_id: int, actor: CurrentActor, db: DbSession, moment: Now):
    _remove(db, actor, moment, endpoint_id)
    return RedirectResponse("/webhooks", status_code=303)


@router.post("/webhooks/deliveries/{delivery_id}/redeliver", include_in_schema=False)
async def redeliver_page(request: Request, delivery_id: int, actor: CurrentActor, db: DbSession,
                         settings: SettingsDep):
    await _redeliver(request, db, actor, settings, delivery_id)
    return RedirectResponse("/webhooks", status_code=303)


# ---------------------------------------------------------------- JSON API


@router.get("/api/v1/webhooks")
async def list_endpoints(actor: CurrentActor, db: DbSession) -> list[EndpointOut]:
    """The webhook endpoints of the programs you manage (secrets are never shown again)."""
    return [endpoint_out(e) for e in endpoints_of(db, _managed(db, actor))]


@router.post("/api/v1/webhooks", status_code=201)
async def create_endpoint(actor: CurrentActor, db: DbSession, moment: Now, settings: SettingsDep,
                          data: EndpointIn) -> EndpointWithSecretOut:
    """Registers an endpoint; `secret` (whsec_…) in the answer is shown this once."""
    endpoint, secret = await _register(db, actor, settings, moment, data)
    return {**endpoint_out(endpoint), "secret": secret}


@router.delete("/api/v1/webhooks/{endpoint_id}")
async def delete_endpoint(endpoint_id: Id, actor: CurrentActor, db: DbSession, moment: Now) -> EndpointOut:
    """Removes an endpoint: no new event is queued for it, queued ones are not posted."""
    return endpoint_out(_remove(db, actor, moment, endpoint_id))


@router.get("/api/v1/webhooks/deliveries")
async def list_deliveries(actor: CurrentActor, db: DbSession,
                          status: Annotated[Literal["queued", "delivered", "dead"] | None, Query(
                              description="Only deliveries in this state (dead: the dead letters)")] = None,
                          ) -> list[DeliveryOut]:
    """Recent deliveries, newest first; `status` is queued, delivered or dead (the dead letters)."""
    return [delivery_out(d) for d in deliveries_of(db, _managed(db, actor), status)]


@router.post("/api/v1/webhooks/deliveries/{delivery_id}/redeliver", status_code=202)
async def redeliver(request: Request, delivery_id: Id, actor: CurrentActor, db: DbSession,
                    settings: SettingsDep) -> DeliveryOut:
    """Delivers a dead-lettered message again, with the same `webhook-id` and body."""
    return delivery_out(await _redeliver(request, db, actor, settings, delivery_id))
