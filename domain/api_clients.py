"""Machine credentials (OAuth 2.0 client credentials): scopes, lifetimes and rotation.

An integrator's system (an EHR, a case-management tool) is registered as a client of ONE program.
It acts as that program's gatekeeper: the role that sees every incoming and sent referral of the
program and may assign, decline and update them, which is what a system that mirrors a program's
referrals needs. It is never a provider: referrals are assigned to people, who work the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import ValidationFailed

READ, WRITE = "read", "write"
SCOPES = (READ, WRITE)
"""`read` reaches GET endpoints only; `write` also every method that changes something."""

ACCESS_TOKEN_TTL = timedelta(hours=1)
"""Access tokens are short-lived: a leaked one is useful for an hour at most."""

ROTATION_OVERLAP = timedelta(hours=24)
"""After a rotation the previous secret keeps working this long (unless revoked at once), so the
integrator can deploy the new one without an outage."""

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def clean_scopes(requested: list[str] | str | None) -> list[str]:
    """The scopes of a client as registered: known ones only, `write` implies `read`."""
    items = requested.split() if isinstance(requested, str) else list(requested or [])
    unknown = sorted(set(items) - set(SCOPES))
    if unknown:
        raise ValidationFailed(f"Unknown scope {', '.join(unknown)}: choose read, or read and write.",
                               field="scopes")
    if not items:
        raise ValidationFailed("Choose at least the read scope.", field="scopes")
    chosen = set(items) | ({READ} if WRITE in items else set())
    return [s for s in SCOPES if s in chosen]


def scope_allows(scopes: list[str] | str, method: str) -> bool:
    """Whether a token with ``scopes`` may make a request of ``method``."""
    granted = scopes.split() if isinstance(scopes, str) else scopes
    return WRITE in granted if method.upper() not in READ_METHODS else READ in granted


@dataclass(frozen=True)
class SecretWindow:
    """When one client secret is accepted."""

    created_at: datetime
    retired_at: datetime | None = None
    """Set when a newer secret replaced this one; it stays valid until then plus nothing more
    (the overlap is already added when a rotation sets it)."""

    def valid_at(self, now: datetime) -> bool:
        return now >= self.created_at and (self.retired_at is None or now < self.retired_at)


def retirement_of(rotated_at: datetime, *, at_once: bool) -> datetime:
    """When the secret a rotation replaces stops working."""
    return rotated_at if at_once else rotated_at + ROTATION_OVERLAP
