"""Business failures from activities, surfaced from updates with their human reason."""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from temporalio.exceptions import ActivityError, ApplicationError

from domain.errors import DomainError

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


def business_failure(err: DomainError) -> ApplicationError:
    """A domain refusal as the failure an update (or its validator) reports: the error's class
    name is the type the API maps to a status, the reason is the message, and `code` and `field`
    ride along as details."""
    return ApplicationError(
        err.reason,
        {"code": err.code, "field": getattr(err, "field", None)},
        type=type(err).__name__,
        non_retryable=True,
    )


@contextmanager
def domain_rules() -> Iterator[None]:
    """Runs domain checks inside a validator or handler, turning their refusals into failures."""
    try:
        yield
    except DomainError as err:
        raise business_failure(err) from None
