"""Business failures from activities, surfaced from updates with their human reason."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from temporalio.exceptions import ActivityError, ApplicationError

T = TypeVar("T")

BUSINESS_TYPES = ("DomainError", "NotAllowed", "ValidationFailed", "InvalidTransition", "Conflict", "NotFound")


async def reraise_business(step: Awaitable[T]) -> T:
    """Awaits an activity; a non-retryable business failure becomes the update's own failure, so
    the caller sees the reason rather than "activity failed"."""
    try:
        return await step
    except ActivityError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type in BUSINESS_TYPES:
            raise ApplicationError(cause.message, *cause.details, type=cause.type, non_retryable=True) from None
        raise
