"""Typed failures of domain rules.

Every error carries a ``reason`` written for the person who hit it (what is wrong and what to do
about it) and a short machine ``code`` that the API maps to a 4xx response in one handler.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of CONNECT refused a request.

    ``reason`` is a sentence a user can act on; ``code`` is a short, stable machine string.
    Subclasses set a default ``code``; callers may pass a more specific one.
    """

    default_code = "domain_error"

    def __init__(self, reason: str, *, code: str | None = None, extra: dict | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code or self.default_code
        self.extra = dict(extra or {})

    def __str__(self) -> str:
        return self.reason

    def details(self) -> dict:
        """Structured extras for an API answer beside ``code`` and ``reason`` (for instance who
        already holds an assignment); none unless given."""
        return dict(self.extra)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, reason={self.reason!r})"


class InvalidTransition(DomainError):
    """The thing is not in a state where the requested action is possible."""

    default_code = "invalid_transition"


class Conflict(DomainError):
    """The request clashes with records that already exist (a duplicate, for instance)."""

    default_code = "conflict"


class NotAllowed(DomainError):
    """The person acting may not do this (permission, membership, consent)."""

    default_code = "not_allowed"


class TooManyAttempts(NotAllowed):
    """The person asked too often in a short time; ``reason`` says how long to wait."""

    default_code = "too_many_attempts"


class ValidationFailed(DomainError):
    """An input value is wrong; ``field`` names the form field to highlight, if there is one."""

    default_code = "validation_failed"

    def __init__(self, reason: str, *, field: str | None = None, code: str | None = None,
                 extra: dict | None = None) -> None:
        super().__init__(reason, code=code, extra=extra)
        self.field = field


class NotFound(DomainError):
    """The record asked for does not exist, or is not visible to the person asking."""

    default_code = "not_found"


class FieldErrors(ValidationFailed):
    """Several input values are wrong at once: ``errors`` maps each field to its reason.

    Forms mark every wrong field in one go rather than one per submission; ``field`` is the
    first of them (the one to focus).
    """

    default_code = "invalid_fields"

    def __init__(self, errors: dict[str, str], *, code: str | None = None) -> None:
        first = next(iter(errors), None)
        count = len(errors)
        reason = (
            errors[first] if count == 1 else f"{count} fields need your attention."
        ) if first else "Some fields need your attention."
        super().__init__(reason, field=first, code=code)
        self.errors = dict(errors)

    def details(self) -> dict:
        return {**super().details(),
                "fields": [{"field": name, "detail": reason} for name, reason in self.errors.items()]}


# The kinds a refusal is reported as, most specific first; a subclass (FieldErrors) travels as its
# kind. Workflows name their failures by these, the API maps them to statuses, and retry policies
# never retry them: one list for all three.
KINDS: tuple[type[DomainError], ...] = (ValidationFailed, NotAllowed, InvalidTransition, Conflict, NotFound,
                                        DomainError)


def kind_of(err: DomainError) -> type[DomainError]:
    return next(kind for kind in KINDS if isinstance(err, kind))
