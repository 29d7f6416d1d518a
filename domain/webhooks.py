"""Webhooks: which changes are told, how an endpoint's address is checked, how a message is signed.

Messages follow the Standard Webhooks convention (standardwebhooks.com): headers `webhook-id`
(the event's stable id, the same on every retry and redelivery, so a receiver drops repeats),
`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the base64 part of a `whsec_` secret).
The body names ids only: the receiver reads the referral or ROI through the API with its token,
where access is checked, so no client data travels in a webhook.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from domain.errors import ValidationFailed
from domain.referral_status import ReferralAction

SECRET_PREFIX = "whsec_"


class WebhookEvent(StrEnum):
    REFERRAL_SENT = "referral.sent"
    REFERRAL_ASSIGNED = "referral.assigned"
    REFERRAL_STATUS_CHANGED = "referral.status_changed"
    REFERRAL_PROGRESS_ADDED = "referral.progress_added"
    REFERRAL_NOTE_ADDED = "referral.note_added"
    REFERRAL_DECLINED = "referral.declined"
    REFERRAL_WITHDRAWN = "referral.withdrawn"
    REFERRAL_REOPENED = "referral.reopened"
    REFERRAL_ESCALATED = "referral.escalated"
    ROI_SIGNED = "roi.signed"
    ROI_REVOKED = "roi.revoked"
    ROI_EXPIRED = "roi.expired"


REFERRAL_ACTION_EVENTS: dict[ReferralAction, WebhookEvent] = {
    ReferralAction.SEND: WebhookEvent.REFERRAL_SENT,
    ReferralAction.ASSIGN: WebhookEvent.REFERRAL_ASSIGNED,
    ReferralAction.REASSIGN: WebhookEvent.REFERRAL_ASSIGNED,
    ReferralAction.UPDATE_STATUS: WebhookEvent.REFERRAL_STATUS_CHANGED,
    ReferralAction.ADD_PROGRESS: WebhookEvent.REFERRAL_PROGRESS_ADDED,
    ReferralAction.ADD_NOTE: WebhookEvent.REFERRAL_NOTE_ADDED,
    ReferralAction.DECLINE: WebhookEvent.REFERRAL_DECLINED,
    ReferralAction.WITHDRAW: WebhookEvent.REFERRAL_WITHDRAWN,
    ReferralAction.REOPEN: WebhookEvent.REFERRAL_REOPENED,
}
"""The referral change each action is told as; saving a draft is the sender's own business."""


def event_id(key: str) -> str:
    """The stable message id of the change written under idempotency ``key``."""
    return "msg_" + hashlib.sha256(key.encode()).hexdigest()[:32]


def event_body(kind: WebhookEvent, at: datetime, data: dict) -> str:
    """The exact bytes posted (as text), the same on every attempt."""
    return json.dumps({"type": kind.value, "timestamp": at.isoformat(), "data": data},
                      sort_keys=True, separators=(",", ":"))


def signature(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header value for one attempt."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {"content-type": "application/json", "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp), "webhook-signature": signature(secret, msg_id, timestamp, body)}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_internal_address(address: str) -> bool:
    """Whether an IP address is one a webhook must not reach: loopback, private, link-local (the
    cloud metadata service), multicast, reserved or unspecified; an IPv4 address written as IPv6
    counts as itself."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is link-local
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def internal_address_refusal(host: str, addresses: list[str]) -> ValidationFailed:
    return ValidationFailed(f"{host} points to an internal network address ({', '.join(sorted(set(addresses)))}); "
                            "webhooks go to addresses on the internet only.", field="url",
                            code="internal_address")


def check_endpoint_url(url: str, *, allow_loopback_http: bool) -> str:
    """The endpoint's address, cleaned; HTTPS, or plain HTTP to this machine in development/test."""
    url = (url or "").strip()
    if len(url) > 500:
        raise ValidationFailed("Keep the address under 500 characters.", field="url")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        raise ValidationFailed("Give a full address, such as https://ehr.example.org/connect/events.",
                               field="url") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationFailed("Give a full address, such as https://ehr.example.org/connect/events.",
                               field="url")
    if parts.username or parts.password:
        raise ValidationFailed("Leave user names and passwords out of the address; CONNECT signs every "
                               "message instead.", field="url")
    if parts.scheme == "http" and not (allow_loopback_http and _is_loopback(host)):
        raise ValidationFailed("Webhook addresses must use https (plain http only to this machine, in "
                               "development).", field="url")
    return url


def may_manage(*, state_team: bool, admin_regions: frozenset[int] | set[int],
               gatekeeper_of: frozenset[int] | set[int], program_id: int, program_region: int) -> bool:
    """Who registers a program's endpoints and redelivers its dead letters: the state team, the
    administrator of the program's region, and the program's gatekeepers."""
    return state_team or program_region in admin_regions or program_id in gatekeeper_of
