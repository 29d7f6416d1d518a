"""Subscription notifications of the R5 Subscriptions Backport for R4: a `history` Bundle whose
first entry is the subscription's status (a Parameters resource, the Backport's R4 form of
SubscriptionStatus); id-only, so an event names its focus and nothing else about it."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from api.fhir.mapping import SDOHCC
from api.fhir.models import build, to_json

BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport"
STATUS_PROFILE = f"{BACKPORT}/StructureDefinition/backport-subscription-status-r4"
NOTIFICATION_PROFILE = f"{BACKPORT}/StructureDefinition/backport-subscription-notification-r4"
TOPICS = {f"{SDOHCC}/SubscriptionTopic/Task": "Task",
          f"{SDOHCC}/SubscriptionTopic/ServiceRequest": "ServiceRequest"}
TOPIC_OF = {kind: url for url, kind in TOPICS.items()}


def notification(base: str, subscription_id: int, topic: str, kind: str, events_since_start: int,
                 events: list[tuple[int, str, datetime]] = ()) -> dict:
    """The notification Bundle; ``kind`` handshake, heartbeat or event-notification; ``events``
    (event number, focus reference, when) for an event notification."""
    parameters = [
        {"name": "subscription", "valueReference": {"reference": f"{base}/Subscription/{subscription_id}"}},
        {"name": "topic", "valueCanonical": TOPIC_OF[topic]},
        {"name": "status", "valueCode": "active"},
        {"name": "type", "valueCode": kind},
        {"name": "events-since-subscription-start", "valueString": str(events_since_start)},
    ]
    for number, focus, at in events:
        parameters.append({"name": "notification-event", "part": [
            {"name": "event-number", "valueString": str(number)},
            {"name": "timestamp", "valueInstant": at.astimezone(timezone.utc).isoformat()},
            {"name": "focus", "valueReference": {"reference": f"{base}/{focus}"}},
        ]})
    status = {"resourceType": "Parameters", "meta": {"profile": [STATUS_PROFILE]}, "parameter": parameters}
    return to_json(build("Bundle", {
        "meta": {"profile": [NOTIFICATION_PROFILE]},
        "type": "history",
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "entry": [{"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": status,
                   "request": {"method": "GET", "url": f"Subscription/{subscription_id}/$status"},
                   "response": {"status": "200"}}],
    }))
