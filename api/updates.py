"""Calling workflow updates from routes: a refusal by the workflow becomes the same 4xx answer a
route's own refusal would give, and an unreachable Temporal a 503 with a reason."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from fastapi import Request
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from api.errors import MAY_BE_APPLIED, ApiError
from domain.errors import ValidationFailed
from workflows.failures import domain_error

T = TypeVar("T")

# Temporal could not even be reached (no connection): no update was sent.
UNAVAILABLE = "CONNECT cannot reach its workflow service right now; try again in a minute."

IDEMPOTENCY_HEADER = "idempotency-key"
IDEMPOTENCY_FIELD = "idempotency_key"  # the pages' forms carry it as a hidden field


async def request_key(request: Request) -> str | None:
    """The request's idempotency key: the Idempotency-Key header of an API client, or the hidden
    field a page's form got when it was rendered. It becomes the update id, so the same request
    sent twice is one change."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if not key and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        key = str((await request.form()).get(IDEMPOTENCY_FIELD, ""))  # parsed once, cached
    if key and len(key) > 100:
        raise ValidationFailed("The Idempotency-Key header must be 1 to 100 characters.", code="bad_key")
    return key or None


def key_to_keep(form, status: int) -> str:
    """The key a form shown again keeps: after a 503 the change may still be applied, so sending
    the form again must be the same update. A refusal applied nothing: the form gets a new key."""
    return str(form.get(IDEMPOTENCY_FIELD, "")) if status == 503 else ""


async def bounded_wait(call: Awaitable[T], settings) -> T:
    """Awaits an update at most ``settings.update_wait_seconds``, then answers 503."""
    try:
        return await asyncio.wait_for(call, timeout=settings.update_wait_seconds)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):  # the SDK's name for a cancelled wait
        raise ApiError(503, MAY_BE_APPLIED, code="update_not_confirmed") from None


async def run_update(call: Awaitable[T], settings) -> T:
    try:
        return await bounded_wait(call, settings)
    except WorkflowUpdateFailedError as err:
        refusal = domain_error(err.cause)
        if refusal is not None:
            raise refusal from None
        raise
    except RPCError:
        raise ApiError(503, MAY_BE_APPLIED, code="temporal_unavailable") from None
