"""Calling workflow updates from routes: a refusal by the workflow becomes the same 4xx answer a
route's own refusal would give, and an unreachable Temporal a 503 with a reason."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from api.errors import MAY_BE_APPLIED, ApiError
from workflows.failures import domain_error

T = TypeVar("T")

# Temporal could not even be reached (no connection): no update was sent.
UNAVAILABLE = "CONNECT cannot reach its workflow service right now; try again in a minute."


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
