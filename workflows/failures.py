"""Business failures across Temporal: one converter each way.

A domain refusal (``domain.errors``) raised in an activity, an update validator or handler travels
as a non-retryable ``ApplicationError`` whose type is the refusal's kind and whose details carry
``code``, ``field`` and any structured extras; the API turns it back into the same refusal with
``domain_error`` and answers it as it answers its own. Retry policies take ``BUSINESS_TYPES`` so a
refusal is never retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from temporalio.exceptions import ActivityError, ApplicationError

from domain import errors
from domain.errors import KINDS, DomainError, FieldErrors, ValidationFailed, kind_of

T = TypeVar("T")

_KIND_BY_NAME = {kind.__name__: kind for kind in KINDS}
# What retry policies never retry: every refusal class of domain.errors, so even one raised without
# conversion (its class name becomes the failure's type) fails at once instead of retrying forever.
BUSINESS_TYPES: tuple[str, ...] = tuple(sorted(
    name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, DomainError)))


def business_failure(err: DomainError) -> ApplicationError:
    """A domain refusal as the failure an activity, validator or update reports."""
    details = {"code": err.code, **err.details()}
    if getattr(err, "field", None):
        details["field"] = err.field
    return ApplicationError(err.reason, details, type=kind_of(err).__name__, non_retryable=True)


def domain_error(failure: BaseException | None) -> DomainError | None:
    """The domain refusal a failure carries (as ``business_failure`` made it), or None."""
    if not isinstance(failure, ApplicationError) or failure.type not in _KIND_BY_NAME:
        return None
    first = failure.details[0] if failure.details else None
    details = dict(first) if isinstance(first, dict) else {}
    code = details.pop("code", None)
    field = details.pop("field", None)
    fields = details.pop("fields", None)
    kind = _KIND_BY_NAME[failure.type]
    if kind is ValidationFailed and fields:
        return FieldErrors({f["field"]: f["detail"] for f in fields}, code=code)
    if kind is ValidationFailed:
        return ValidationFailed(failure.message, field=field, code=code, extra=details)
    return kind(failure.message, code=code, extra=details)


async def reraise_business(step: Awaitable[T]) -> T:
    """Awaits an activity; its business failure becomes the update's own failure, so the caller
    sees the reason rather than "activity failed"."""
    try:
        return await step
    except ActivityError as err:
        refusal = domain_error(err.cause)
        if refusal is not None:
            raise business_failure(refusal) from None
        raise


@contextmanager
def domain_rules() -> Iterator[None]:
    """Runs domain checks inside an activity, validator or handler, turning their refusals into
    failures."""
    try:
        yield
    except DomainError as err:
        raise business_failure(err) from None
