"""`POST /fhir/Subscription` and `GET /fhir/Subscription/<id>`: topic-based subscriptions of the R5
Subscriptions Backport for R4, to the IG's two topics (Task, ServiceRequest), by rest-hook with
id-only payloads. Each subscription is a Temporal workflow (`workflows/fhir_subscriptions.py`)
that sends the handshake, the notifications and the heartbeats, and retries each delivery."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from temporalio.common import WorkflowIDConflictPolicy

from api.deps import Actor, DbSession, Now, SettingsDep
from api.errors import ApiError, Forbidden, NotFound
from api.fhir.models import NotR4, build, parse, to_json
from api.fhir.notifications import BACKPORT, TOPICS
from api.fhir.outcome import PREFIX
from api.fhir.resources import RESOURCES
from api.fhir.routes import systems_of
from api.fhir.search import int_id, parse_search
from api.fhir.smart import requires
from connect.webhook_addresses import check_public
from models import audit
from models.fhir.subscriptions import FhirSubscription
from workflows.fhir_subscription_contracts import (
    SubscriptionInput,
    fhir_subscription_workflow_id,
)
from workflows.fhir_subscriptions import FhirSubscriptionWorkflow

router = APIRouter(prefix=PREFIX, tags=["fhir"], include_in_schema=False)

FILTER = f"{BACKPORT}/StructureDefinition/backport-filter-criteria"
CONTENT = f"{BACKPORT}/StructureDefinition/backport-payload-content"
HEARTBEAT = f"{BACKPORT}/StructureDefinition/backport-heartbeat-period"
PROFILE = f"{BACKPORT}/StructureDefinition/backport-subscription"
MIN_HEARTBEAT, MAX_HEARTBEAT = 1, 3600
DEFAULT_POLL_SECONDS = 5.0


def _bad(detail: str, field: str) -> ApiError:
    return ApiError(422, detail, code="invalid_subscription", field=field)


def _extension(element, url: str):
    return next((e for e in (getattr(element, "extension", None) or []) if e.url == url), None)


def subscription_terms(sub: FHIRAbstractModel) -> dict:
    """What CONNECT keeps of a requested Subscription, each part checked."""
    topic = TOPICS.get(sub.criteria or "")
    if topic is None:
        raise _bad(f"Subscription.criteria is one of the IG's topics: {', '.join(TOPICS)}.", "Subscription.criteria")
    channel = sub.channel
    if channel.type != "rest-hook" or not channel.endpoint:
        raise _bad("CONNECT notifies by rest-hook: channel.type rest-hook with an endpoint.", "Subscription.channel")
    if urlsplit(channel.endpoint).scheme not in ("https", "http"):
        raise _bad("channel.endpoint is an http(s) URL.", "Subscription.channel.endpoint")
    if channel.payload and channel.payload != "application/fhir+json":
        raise _bad("channel.payload is application/fhir+json.", "Subscription.channel.payload")
    content = _extension(channel.payload__ext, CONTENT) if channel.payload__ext else None
    if content is not None and content.valueCode != "id-only":
        raise _bad("CONNECT sends id-only notifications: the payload content is id-only.",
                   "Subscription.channel.payload")
    heartbeat = _extension(channel, HEARTBEAT)
    seconds = heartbeat.valueUnsignedInt if heartbeat is not None else 60
    if not MIN_HEARTBEAT <= seconds <= MAX_HEARTBEAT:
        raise _bad(f"The heartbeat period is {MIN_HEARTBEAT} to {MAX_HEARTBEAT} seconds.", "Subscription.channel")
    criteria = _extension(sub.criteria__ext, FILTER) if sub.criteria__ext else None
    query = ""
    if criteria is not None:
        kind, _, query = (criteria.valueString or "").partition("?")
        if kind != topic:
            raise _bad(f"The filter criteria of the {topic} topic are a {topic} search, such as {topic}?status=requested.",
                       "Subscription.criteria")
    return {"topic": topic, "filter": query, "endpoint": channel.endpoint, "headers": list(channel.header or []),
            "heartbeat_seconds": seconds, "reason": sub.reason or ""}


def subscription_resource(row: FhirSubscription) -> FHIRAbstractModel:
    criteria = next(url for url, kind in TOPICS.items() if kind == row.topic)
    status = {"requested": "requested", "active": "active", "error": "error", "off": "off"}[row.status]
    data = {
        "id": str(row.id), "meta": {"profile": [PROFILE]}, "status": status, "reason": row.reason or "CONNECT",
        "criteria": criteria,
        "channel": {"type": "rest-hook", "endpoint": row.endpoint, "payload": "application/fhir+json",
                    "_payload": {"extension": [{"url": CONTENT, "valueCode": "id-only"}]},
                    "extension": [{"url": HEARTBEAT, "valueUnsignedInt": row.heartbeat_seconds}]},
    }
    if row.filter:
        data["_criteria"] = {"extension": [{"url": FILTER, "valueString": f"{row.topic}?{row.filter}"}]}
    if row.error:
        data["error"] = row.error[:500]
    return build("Subscription", data)


def _subscriber(actor: Actor) -> None:
    if actor.client is None:
        raise Forbidden("Subscriptions belong to a system: use a SMART Backend Services client.",
                        code="subscriptions_for_clients")


@router.post("/Subscription", status_code=201)
async def create_subscription(request: Request, db: DbSession, moment: Now, settings: SettingsDep,
                              actor: Actor = requires("Subscription", "c")) -> JSONResponse:
    """A new subscription; the handshake follows at once, from its workflow."""
    _subscriber(actor)
    try:
        sub = parse(await request.json(), "Subscription")
    except NotR4 as exc:
        raise ApiError(400, "The Subscription is not valid FHIR R4: " + str(exc), code="invalid_resource") from None
    except ValueError:
        raise ApiError(400, "The body is not JSON (a FHIR Subscription).", code="invalid_json") from None
    terms = subscription_terms(sub)

    spec = RESOURCES[terms["topic"]]
    parse_search(parse_qsl(terms["filter"]), spec.all_params(systems_of(settings)), terms["topic"])
    await check_public(terms["endpoint"], allow_internal=settings.webhook_allow_internal_addresses)
    row = FhirSubscription(client_pk=actor.client.id, created_at=moment, told_until=moment, **terms)
    db.add(row)
    db.flush()
    audit.record(db, action="fhir.subscription_created", entity_type="fhir_subscription", entity_id=row.id,
                 user_id=actor.user.id, program_id=actor.program_id, topic=row.topic)
    db.commit()
    poll = getattr(request.app.state, "subscription_poll_seconds", DEFAULT_POLL_SECONDS)
    temporal = await request.app.state.temporal.get()
    await temporal.start_workflow(FhirSubscriptionWorkflow.run, SubscriptionInput(row.id, poll),
                                  id=fhir_subscription_workflow_id(row.id), task_queue=settings.temporal_task_queue,
                                  id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING)
    return JSONResponse(to_json(subscription_resource(row)), status_code=201, media_type="application/fhir+json",
                        headers={"Location": f"{settings.public_url.rstrip('/')}{PREFIX}/Subscription/{row.id}"})


@router.get("/Subscription/{resource_id}")
async def read_subscription(resource_id: str, db: DbSession, actor: Actor = requires("Subscription", "r")
                            ) -> JSONResponse:
    return JSONResponse(to_json(subscription_resource(_own_subscription(db, actor, resource_id))),
                        media_type="application/fhir+json")


def _own_subscription(db, actor: Actor, resource_id: str) -> FhirSubscription:
    _subscriber(actor)
    number = int_id(resource_id)
    row = db.get(FhirSubscription, number) if number is not None else None
    if row is None or row.client_pk != actor.client.id:
        raise NotFound(f"Subscription/{resource_id}")
    return row


@router.delete("/Subscription/{resource_id}")
async def end_subscription(resource_id: str, db: DbSession, actor: Actor = requires("Subscription", "d")
                           ) -> JSONResponse:
    """Ends the subscription (status off): its workflow stops at its next step."""
    row = _own_subscription(db, actor, resource_id)
    if row.status != "off":
        row.status = "off"
        audit.record(db, action="fhir.subscription_ended", entity_type="fhir_subscription", entity_id=row.id,
                     user_id=actor.user.id, program_id=actor.program_id)
        db.commit()
    return JSONResponse(to_json(subscription_resource(row)), media_type="application/fhir+json")
