"""Calling workflow updates from routes: a refusal by the workflow becomes the same 4xx answer a
route's own refusal would give, and an unreachable Temporal a 503 with a reason."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api.errors import ApiError, Conflict, NotFound
from domain.errors import DomainError, InvalidTransition, NotAllowed, ValidationFailed

T = TypeVar("T")

_DOMAIN = {"DomainError": DomainError, "NotAllowed": NotAllowed,
           "ValidationFailed": ValidationFailed, "InvalidTransition": InvalidTransition}

UNAVAILABLE = "CONNECT cannot reach its workflow service right now. Nothing was changed; try again in a minute."


async def run_update(call: Awaitable[T]) -> T:
    try:
        return await call
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            if cause.type in _DOMAIN:
                raise _DOMAIN[cause.type](cause.message) from None
            if cause.type == "Conflict":
                raise Conflict(cause.message) from None
            if cause.type == "NotFound":
                raise NotFound() from None
        raise
    except RPCError:
        raise ApiError(503, UNAVAILABLE, code="temporal_unavailable") from None
